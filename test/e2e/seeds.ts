// What several real-n8n tests import into n8n: the Email Intel IMAP credential pointing at a test
// Dovecot, the IMAP Trigger node, the small report message they seed, and reading back which
// subjects a node handed on. One place, so a credential field or a node parameter renamed in
// the pack is changed in one test file, not six.
import fs from 'node:fs';
import path from 'node:path';

import { buildMime, EMAILS } from '../fixtures/opencti/emails';
import type { DovecotServer } from '../imap/dovecot';
import { nodeOutput, packNodeType, type CredentialSeed, type Json } from './harness';
import { REPO_ROOT } from './pack';

export { iocReport } from '../fixtures/ioc-report';

/** How a node names the credential it uses: `credentials: { emailIntelImapApi: credentialRef(seed) }`. */
export function credentialRef(seed: CredentialSeed & { id: string }): { id: string; name: string } {
	return { id: seed.id, name: seed.name };
}

/**
 * An `emailIntelImapApi` credential for a user of a test Dovecot: plain IMAP on its loopback
 * port (the default), or implicit TLS on its TLS port with certificate checks off (the lab's
 * certificate is self-signed).
 */
export function imapCredential(
	dovecot: DovecotServer,
	options: { id: string; name?: string; user?: string; password?: string; tls?: boolean },
): CredentialSeed & { id: string } {
	const user = options.user ?? 'alice';
	return {
		id: options.id,
		name: options.name ?? 'Dovecot',
		type: 'emailIntelImapApi',
		data: {
			host: dovecot.host,
			...(options.tls
				? { port: dovecot.tlsPort, security: 'tls', skipTlsVerification: true }
				: { port: dovecot.port, security: 'none' }),
			user,
			authMethod: 'password',
			password: options.password ?? dovecot.users[user],
		},
	};
}

/** An Email Intel IMAP Trigger node polling every minute. */
export function imapTriggerNode(options: {
	credential: CredentialSeed & { id: string };
	id?: string;
	name?: string;
	typeVersion?: 1 | 2;
	mailboxes?: string;
	options?: Record<string, unknown>;
	position?: [number, number];
}) {
	return {
		id: options.id ?? 'imap-trigger',
		name: options.name ?? 'IMAP Trigger',
		type: packNodeType('emailIntelImapTrigger'),
		typeVersion: options.typeVersion ?? 1,
		position: options.position ?? [0, 0],
		parameters: {
			pollTimes: { item: [{ mode: 'everyMinute' }] },
			mailboxes: options.mailboxes ?? 'INBOX',
			options: options.options ?? {},
		},
		credentials: { emailIntelImapApi: credentialRef(options.credential) },
	};
}

/** The subjects a node handed on (its first output) over the given executions, in order. */
export function subjectsOf(executions: Json[], nodeName: string, output = 0): string[] {
	return executions.flatMap((execution) =>
		nodeOutput(execution, nodeName, output).map((item: Json) => item.json.subject as string),
	);
}

/** The outputs of the scan nodes (Deep Instinct DSX, ClamAV), in order. */
export const SCAN_OUTPUTS = ['Malicious', 'Clean', 'Not Scanned'] as const;

/**
 * What follows a scan node in the scan → remediate chains (issue 14): a NoOp per scan output,
 * named after it, where its items can be read; behind Malicious, *Mail Remediation* with the
 * given policy; behind that, *Remediate Again* applying the same policy to the locator the scan
 * node handed on (what a retried execution would send), to show a second run changes nothing.
 */
export function remediationChain(options: {
	scanNode: string;
	/** the Mail Remediation parameters besides `operation` and `locator` */
	policy: Record<string, unknown>;
	/** the credentials of both Mail Remediation nodes, e.g. `{ emailIntelImapApi: credentialRef(seed) }` */
	credentials: Record<string, { id: string; name: string }>;
}) {
	const remediation = (id: string, name: string, x: number, locator?: string) => ({
		id,
		name,
		type: packNodeType('mailRemediation'),
		typeVersion: 1,
		position: [x, -160],
		parameters: { operation: 'remediate', ...(locator ? { locator } : {}), ...options.policy },
		credentials: options.credentials,
	});
	const link = (node: string) => [{ node, type: 'main', index: 0 }];
	return {
		nodes: [
			...SCAN_OUTPUTS.map((name, index) => ({
				id: name.replace(/\W/g, '').toLowerCase(),
				name,
				type: 'n8n-nodes-base.noOp',
				typeVersion: 1,
				position: [440, index * 160 - 160],
				parameters: {},
			})),
			remediation('remediate', 'Mail Remediation', 660),
			remediation(
				'remediate-again',
				'Remediate Again',
				880,
				`={{ $('${options.scanNode}').item.json.locator }}`,
			),
		],
		connections: {
			[options.scanNode]: { main: SCAN_OUTPUTS.map(link) },
			Malicious: { main: [link('Mail Remediation')] },
			'Mail Remediation': { main: [link('Remediate Again')] },
		},
	};
}

/** The ClamAV node scanning the attachments of the items it gets (outputs: SCAN_OUTPUTS). */
export function clamAvNode(credential: { id: string; name: string }, id = 'clamav') {
	return {
		id,
		name: 'ClamAV',
		type: packNodeType('clamAv'),
		typeVersion: 1,
		position: [220, 0],
		parameters: { operation: 'scanAttachments' },
		credentials: { clamAvApi: credential },
	};
}

/**
 * The first execution of IMAP trigger → ClamAV → remediationChain over the "EICAR invoice"
 * (invoice.pdf) and a clean report: each out of its output, the invoice remediated once, the
 * second remediation finding nothing to do. Returns both remediation items.
 */
export function expectEicarRemediatedOnce(execution: Json, threatType: string) {
	expect(execution.status).toBe('success');
	expect(
		Object.fromEntries(SCAN_OUTPUTS.map((name) => [name, subjectsOf([execution], name)])),
	).toEqual({ Malicious: ['EICAR invoice'], Clean: ['Clean report'], 'Not Scanned': [] });
	const [first] = nodeOutput(execution, 'Mail Remediation');
	expect(first.json.remediation).toMatchObject({
		provider: 'imap',
		changed: true,
		refused: [],
		removedAttachments: [{ filename: 'invoice.pdf', reason: 'malicious', threatType }],
	});
	const [again] = nodeOutput(execution, 'Remediate Again');
	expect(again.json.remediation).toMatchObject({ changed: false, done: [], refused: [] });
	return { first, again };
}

/** examples/imap-to-opencti.json as a user imports it (IMAP Trigger → OpenCTI). */
export function imapToOpenCtiExample(): Json {
	return JSON.parse(
		fs.readFileSync(path.join(REPO_ROOT, 'examples/imap-to-opencti.json'), 'utf8'),
	) as Json;
}

/**
 * The OpenCTI fixture emails in a user's INBOX, with INTERNALDATE now: the trigger's first run
 * imports the last 30 days (P30D), like the connector.
 */
export function seedOpenCtiEmails(dovecot: DovecotServer, user = 'alice'): Promise<number[]> {
	return dovecot.seed(
		user,
		'INBOX',
		EMAILS.map((spec) => buildMime(spec)),
		{ internalDates: EMAILS.map(() => new Date()) },
	);
}

/** Manual Trigger → Email Intel Parse of `source` (raw MIME text), for `n8n execute`. */
export function parseWorkflow(name: string, source: string) {
	return {
		name,
		nodes: [
			{
				id: 'a1',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'a2',
				name: 'Parse',
				type: packNodeType('emailIntelParse'),
				typeVersion: 1,
				position: [220, 0],
				parameters: { inputType: 'text', source },
			},
		],
		connections: { Start: { main: [[{ node: 'Parse', type: 'main', index: 0 }]] } },
	};
}
