// What a second `npm run dev` in the same user folder relies on to reuse, not duplicate, what the
// first one put into n8n: the credentials keep their ids while the stand-ins behind them change
// (new certificates, tokens), the examples name those ids, and only changed examples are imported
// again. (The run itself, n8n and all, is checked by hand: README, "Try it".)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { bindCredentials, demoCredentials } from './credentials';
import { readExamples, type ExampleFile } from './examples';
import { examplesToImport, IMPORTED_FILE, rememberImported } from './imported';
import type { DemoServers } from './servers';

/** The parts of the running stand-ins the credentials read; each start differs in all of them. */
function standIns(run: number): DemoServers {
	const url = (port: number) => `http://127.0.0.1:${port + run}`;
	return {
		dovecot: { host: '127.0.0.1', port: 5685, tlsPort: 5686, certPem: `cert of run ${run}` },
		postfix: { host: '127.0.0.1', submissionPort: 40000 + run },
		clamd: { host: '127.0.0.1', port: 41000 + run },
		graph: { credentialData: () => ({ tenantId: 'tenant', certificate: `run ${run}` }) },
		gmail: {
			credentialData: () => ({
				authMethod: 'tokenJson',
				googleTokenJson: `{"refresh_token":"run ${run}"}`,
				apiBaseUrl: url(5682),
				tokenUrl: '',
			}),
		},
		opencti: { url: url(5680) },
		dsxa: { url: url(5683) },
		dsxConnect: { url: url(5684) },
		notes: [],
		stop: async () => undefined,
	} as unknown as DemoServers;
}

const ids = (servers: DemoServers) => demoCredentials(servers).map((seed) => seed.id);

let userFolder: string;
beforeEach(() => {
	userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'email-intel-dev-restart-'));
});
afterEach(() => fs.rmSync(userFolder, { recursive: true, force: true }));

test('a second start imports the same credential ids (n8n replaces them) with the new stand-ins in them', () => {
	const first = demoCredentials(standIns(1));
	const second = demoCredentials(standIns(2));
	expect(ids(standIns(2))).toEqual(ids(standIns(1)));
	expect(new Set(ids(standIns(1))).size).toBe(first.length);
	expect(second.map((seed) => seed.name)).toEqual(first.map((seed) => seed.name));
	// the data is the second run's: a reused credential must not point at the old certificate
	const imap = second.find((seed) => seed.type === 'emailIntelImapApi');
	expect(imap?.data.caCertificate).toBe('cert of run 2');
});

test('every credential an example names is bound to one of those ids, so nothing else is created', () => {
	const seeds = demoCredentials(standIns(1));
	const known = new Set(ids(standIns(1)));
	const examples = readExamples();
	expect(examples.length).toBeGreaterThan(0);
	for (const example of examples) {
		for (const node of bindCredentials(example.workflow, seeds).nodes) {
			const references = Object.values(
				(node as { credentials?: Record<string, { id?: string }> }).credentials ?? {},
			);
			for (const reference of references) expect(known).toContain(reference.id);
		}
	}
});

test('examples are imported on the first start, not again on the second, and again once changed', () => {
	const examples = readExamples();
	expect(examplesToImport(userFolder, examples)).toEqual(examples);
	rememberImported(userFolder, examples);

	expect(examplesToImport(userFolder, readExamples())).toEqual([]);

	const edited: ExampleFile[] = examples.map((example, index) =>
		index === 0 ? { ...example, hash: `${example.hash}-edited` } : example,
	);
	expect(examplesToImport(userFolder, edited).map((example) => example.file)).toEqual([
		examples[0].file,
	]);
});

test('an unreadable record (a run killed while writing it) imports every example again, by the same ids', () => {
	const examples = readExamples();
	fs.writeFileSync(path.join(userFolder, IMPORTED_FILE), '{"imap-to-opencti.json": "ab');
	expect(examplesToImport(userFolder, examples)).toEqual(examples);
	expect(examples.every((example) => typeof example.workflow.id === 'string')).toBe(true);
});
