/**
 * p11_event_latency_vs_n8n: how soon a new message becomes a workflow execution, ours vs n8n's.
 * One real Dovecot; both triggers watch the same INBOX at the same time:
 *   - ours: the Email Intel IMAP Events Trigger node in n8n-core's TriggerContext
 *     (test/helpers/n8n/long-lived-trigger.ts), IDLE + change pass + fetch/parse + binary data;
 *   - n8n's: its own Email Trigger (IMAP) v2.2 from the e2e n8n install, in that install's
 *     n8n-core TriggerContext on Node 24 (imap-events-n8n.js), format "resolved", no post-process.
 * A third connection APPENDs one message at a time (small multipart with a CSV attachment) and
 * waits until both have emitted it; latency = emit time − the moment the APPEND was sent.
 * Result = median(ours) / median(n8n's) over MESSAGES arrivals (goal ≤ 1.0).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';

import { EmailIntelImapEventsTrigger } from '../../nodes/EmailIntelImapEventsTrigger/EmailIntelImapEventsTrigger.node';
import { cachedN8n } from '../e2e/install';
import { iocReport } from '../fixtures/ioc-report';
import { startLongLivedHarness } from '../helpers/n8n/long-lived-trigger';
import { startDovecot } from '../imap/dovecot';
import { dovecotCredential } from '../imap/credentials';
import { RawImap } from '../imap/raw-imap';

const ROOT = process.cwd();
const MESSAGES = 30;
const log = (text: string) => process.stderr.write(`${text}\n`);
const now = () => performance.timeOrigin + performance.now();

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function main(): Promise<void> {
	const install = cachedN8n();
	if (!install) throw new Error('no e2e n8n install in the cache: run `npm run test:e2e` once');
	const server = await startDovecot();
	const emitted = { ours: new Map<string, number>(), n8n: new Map<string, number>() };
	const record = (who: 'ours' | 'n8n', subject: unknown, at: number) => {
		if (typeof subject === 'string' && !emitted[who].has(subject)) emitted[who].set(subject, at);
	};
	const harness = startLongLivedHarness(new EmailIntelImapEventsTrigger(), {
		parameters: { mailboxes: 'INBOX', events: ['messageNew'] },
		credentials: { emailIntelImapApi: dovecotCredential(server) },
		onEmit: (items: INodeExecutionData[]) => {
			const at = now();
			for (const item of items) record('ours', item.json.subject, at);
		},
	});
	const config = {
		host: server.host,
		port: server.port,
		user: 'alice',
		password: server.users.alice,
		mailbox: 'INBOX',
	};
	const child = spawn(
		install.nodeBin,
		[path.join(ROOT, 'test/bench/imap-events-n8n.js'), install.dir, JSON.stringify(config)],
		{ stdio: ['pipe', 'pipe', 'pipe'] },
	);
	let stderr = '';
	child.stderr.on('data', (chunk) => (stderr += chunk));
	let ready!: () => void;
	const n8nReady = new Promise<void>((resolve) => (ready = resolve));
	let buffered = '';
	child.stdout.on('data', (chunk: Buffer) => {
		buffered += chunk.toString();
		for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
			const line = buffered.slice(0, end);
			buffered = buffered.slice(end + 1);
			if (!line.startsWith('{')) continue;
			const data = JSON.parse(line) as { ready?: boolean; subject?: string; at?: number };
			if (data.ready) ready();
			else record('n8n', data.subject, data.at as number);
		}
	});
	const imap = await RawImap.connect(server.host, server.port);
	try {
		await imap.login('alice', server.users.alice);
		await harness.activate();
		await Promise.race([
			n8nReady,
			new Promise((_, reject) =>
				child.once('exit', (code) => reject(new Error(`n8n's trigger exited ${code}: ${stderr}`))),
			),
		]);
		const latency = { ours: [] as number[], n8n: [] as number[] };
		for (let i = 0; i < MESSAGES; i++) {
			const subject = `arrival-${i}`;
			const body = Buffer.from(iocReport(subject));
			const sent = now();
			await imap.ok([`APPEND INBOX {${body.length}+}\r\n`, body, '\r\n']);
			const deadline = Date.now() + 60_000;
			while (!(emitted.ours.has(subject) && emitted.n8n.has(subject))) {
				if (Date.now() > deadline)
					throw new Error(
						`${subject}: ours ${emitted.ours.has(subject)}, n8n ${emitted.n8n.has(subject)} after 60 s; n8n stderr: ${stderr.slice(-1000)}`,
					);
				await new Promise((resolve) => setTimeout(resolve, 2));
			}
			latency.ours.push((emitted.ours.get(subject) as number) - sent);
			latency.n8n.push((emitted.n8n.get(subject) as number) - sent);
		}
		const ours = median(latency.ours);
		const theirs = median(latency.n8n);
		log(
			`delivery → emit, median of ${MESSAGES}: ours ${ours.toFixed(1)} ms, n8n ${install.version} Email Trigger (IMAP) v2.2 ${theirs.toFixed(1)} ms`,
		);
		const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
		process.stdout.write(
			`${JSON.stringify({
				bench: 'imap-events',
				node: process.version,
				n8n: install.version,
				p11_event_latency_vs_n8n: round(ours / theirs),
				ours_median_ms: round(ours, 1),
				n8n_median_ms: round(theirs, 1),
				ours_max_ms: round(Math.max(...latency.ours), 1),
				n8n_max_ms: round(Math.max(...latency.n8n), 1),
				messages: MESSAGES,
			})}\n`,
		);
	} finally {
		child.stdin.end();
		await harness.deactivate();
		await imap.logout().catch(() => imap.destroy());
		await server.stop();
	}
}

main().then(
	() => process.exit(0),
	(error) => {
		log(String((error as Error).stack ?? error));
		process.exit(1);
	},
);
