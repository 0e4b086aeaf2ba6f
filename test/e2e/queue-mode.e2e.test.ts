// The pack in n8n 2.41.1's queue mode (README "Queue mode"): a real PostgreSQL and Redis, one
// main, two workers and one webhook processor (test/e2e/queue/), the pack installed in the user
// folder every process shares. Each workflow ends in a Set node that writes which process ran it
// ({{ $env.EMAIL_INTEL_E2E_PROCESS }}), so the run data n8n recorded says where each part ran:
// - the IMAP trigger (v2, real Dovecot) polls on the main and hands a backlog of 1,000 messages
//   (1,000 rather than the 10,000 of the benchmark, to keep CI time sane) to executions that both
//   workers run, every message in exactly one finished execution;
// - the Microsoft 365 trigger's subscription is made by the main's activation, Graph (the https
//   fake) validates and notifies the webhook processor's URL (the main serves no production
//   webhooks), and every message of a burst comes out once;
// - the OpenCTI node runs on the workers, reading the attachments the trigger stored on the main
//   from n8n's binary data (database mode), one report per email by standard_id;
// - the scan and remediation nodes run on the workers too: IMAP trigger → ClamAV (a real clamd) →
//   Mail Remediation rewrites the EICAR message in Dovecot once, a second remediation changes
//   nothing, the clean message stays as it was.

import { startClamd, type ClamdServer } from '../clamav/clamd';
import { EICAR } from '../fixtures/eicar';
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { message } from '../lib/providers/imap/messages';
import { settingsFor } from '../lib/providers/imap/poll-helper';
import { invoiceMail, readFolder } from '../lib/providers/imap/remediation-helper';
import { start as startOpenCti, type FakeOpenCti } from '../fakes/opencti';
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { EMAILS } from '../fixtures/opencti/emails';
import { newWorkflowId, nodeOutput, packNodeType, type Json } from './harness';
import { PROCESS_ENV, startN8nQueue, type N8nQueue } from './queue/cluster';
import {
	credentialRef,
	imapCredential,
	imapToOpenCtiExample,
	imapTriggerNode,
	clamAvNode,
	expectEicarRemediatedOnce,
	iocReport,
	remediationChain,
	seedOpenCtiEmails,
	subjectsOf,
} from './seeds';

const BACKLOG = 1000;
const BATCH = 50;
const UPN = 'soc@contoso.com';
const GRAPH_NODE = 'M365 Mail Trigger';
const WHERE = 'Where';
const WORKERS = ['worker-1', 'worker-2'];

/** A Set node that adds `process`: the EMAIL_INTEL_E2E_PROCESS of the process running it. */
function whereNode(position: [number, number]) {
	return {
		id: `where-${newWorkflowId().slice(0, 6)}`,
		name: WHERE,
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position,
		parameters: {
			mode: 'manual',
			assignments: {
				assignments: [
					{ id: 'p1', name: 'process', value: `={{ $env.${PROCESS_ENV} }}`, type: 'string' },
				],
			},
			includeOtherFields: true,
			options: {},
		},
	};
}

const after = (from: string) => ({
	[from]: { main: [[{ node: WHERE, type: 'main', index: 0 }]] },
});

/** The processes that ran the Where node, one per execution. */
function processesOf(executions: Json[]): string[] {
	return executions.map((execution) => {
		const names = new Set(nodeOutput(execution, WHERE).map((item: Json) => item.json.process));
		return names.size === 1 ? [...names][0] : `mixed: ${[...names].join(',')}`;
	});
}

async function until(
	what: string,
	condition: () => Promise<boolean> | boolean,
	timeoutMs: number,
	logs: () => string,
) {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline)
			throw new Error(
				`${what} did not happen within ${timeoutMs / 1000} s; logs:\n${logs().slice(-8000)}`,
			);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

describe('the pack in n8n queue mode: PostgreSQL + Redis, main + 2 workers + 2 webhook processors', () => {
	const imapWorkflow = newWorkflowId();
	const graphWorkflow = newWorkflowId();
	const openCtiWorkflow = newWorkflowId();
	const remediationWorkflow = newWorkflowId();
	const eicarMessageId = '<eicar-invoice.queue@evil.example>';
	const webhookId = '0c9e2f6a-41d7-4b8e-9f3c-5a7d1e2b8c40';
	const backlog = Array.from({ length: BACKLOG }, (_, i) => `queued ${i}`);
	let dovecot: DovecotServer;
	let graph: FakeGraph;
	let opencti: FakeOpenCti;
	let clamd: ClamdServer;
	let queue: N8nQueue;

	beforeAll(async () => {
		[dovecot, clamd] = await Promise.all([
			startDovecot({ users: { alice: 'alicepass', bob: 'bobpass', carol: 'carolpass' } }),
			startClamd(),
		]);
		await dovecot.seed(
			'alice',
			'INBOX',
			backlog.map((subject) => message({ subject })),
		);
		await seedOpenCtiEmails(dovecot, 'bob');
		await dovecot.seed('carol', 'INBOX', [
			invoiceMail(
				'EICAR invoice',
				[{ filename: 'invoice.pdf', contentType: 'application/pdf', data: EICAR }],
				eicarMessageId,
			),
			iocReport('Clean report'),
		]);
		graph = await startFakeGraph({ defaultPageSize: 10 });
		opencti = await startOpenCti({ version: '6.9.7' });

		const example = imapToOpenCtiExample();
		const imapQueueCredential = (user: string) =>
			imapCredential(dovecot, {
				id: `imapQueue${user.padEnd(7, '0')}`,
				name: `Dovecot ${user}`,
				user,
			});
		const alice = imapQueueCredential('alice');
		const bob = imapQueueCredential('bob');
		const carol = imapQueueCredential('carol');
		const clamAv = {
			id: 'ClamdQueueCred01',
			name: 'clamd',
			type: 'clamAvApi',
			data: { connection: 'tcp', host: clamd.host, port: clamd.port },
		};
		const chain = remediationChain({
			scanNode: 'ClamAV',
			policy: {},
			credentials: { emailIntelImapApi: credentialRef(carol) },
		});
		queue = await startN8nQueue({
			env: { NODE_EXTRA_CA_CERTS: graph.caPath },
			workers: 2,
			// Behind a load balancer: the Graph burst below is spread over both.
			webhookProcessors: 2,
			// n8n warns below 5; with 5 each, the batches of one poll reach both workers.
			workerConcurrency: 5,
			credentials: [
				alice,
				bob,
				carol,
				clamAv,
				{
					id: 'graphQueueCred01',
					name: 'Graph fake',
					type: 'microsoftGraphAppApi',
					data: graph.credentialData({ trustCa: false }),
				},
				{
					id: example.nodes[1].credentials.emailIntelOpenCtiApi.id,
					name: 'OpenCTI',
					type: 'emailIntelOpenCtiApi',
					data: { url: opencti.url, token: opencti.token, allowUnencryptedHttp: true },
				},
			],
			workflows: [
				{
					id: imapWorkflow,
					name: 'queue: IMAP backlog',
					nodes: [
						imapTriggerNode({
							id: 'q1',
							credential: alice,
							typeVersion: 2,
							options: { maxItemsPerExecution: BATCH },
						}),
						whereNode([240, 0]),
					],
					connections: after('IMAP Trigger'),
				},
				{
					id: graphWorkflow,
					name: 'queue: Microsoft 365 webhook',
					nodes: [
						{
							id: 'q2',
							name: GRAPH_NODE,
							type: packNodeType('microsoft365MailTrigger'),
							typeVersion: 1,
							position: [0, 0],
							webhookId,
							parameters: { mailboxes: UPN, options: { attachmentMimeTypes: 'application/pdf' } },
							credentials: { microsoftGraphAppApi: { id: 'graphQueueCred01', name: 'Graph fake' } },
						},
						whereNode([240, 0]),
					],
					connections: after(GRAPH_NODE),
				},
				{
					...example,
					id: openCtiWorkflow,
					nodes: [
						{
							...example.nodes[0],
							credentials: { emailIntelImapApi: credentialRef(bob) },
						},
						example.nodes[1],
						whereNode([520, 0]),
					],
					connections: { ...example.connections, ...after('OpenCTI') },
				},
				{
					id: remediationWorkflow,
					name: 'queue: IMAP → ClamAV → Mail Remediation',
					nodes: [
						imapTriggerNode({ id: 'q4', credential: carol, typeVersion: 2 }),
						clamAvNode(credentialRef(clamAv), 'q4-clamav'),
						...chain.nodes,
						whereNode([1100, -160]),
					],
					connections: {
						'IMAP Trigger': { main: [[{ node: 'ClamAV', type: 'main', index: 0 }]] },
						...chain.connections,
						...after('Remediate Again'),
					},
				},
			],
			publish: [imapWorkflow, graphWorkflow, openCtiWorkflow, remediationWorkflow],
		});
	}, 420_000);

	afterAll(async () => {
		await queue?.stop();
		await dovecot?.stop();
		await graph?.close();
		await opencti?.stop();
		await clamd?.stop();
	});

	it(`the IMAP trigger polls on the main; both workers run the executions of a ${BACKLOG}-message backlog, every message in exactly one`, async () => {
		let executions: Json[] = [];
		await until(
			`${BACKLOG} messages in finished executions`,
			async () => {
				executions = await queue.main.waitForExecutions(imapWorkflow, 1, 240_000);
				return subjectsOf(executions, 'IMAP Trigger').length >= BACKLOG;
			},
			240_000,
			queue.logs,
		);
		expect(executions.map((execution) => execution.status)).toEqual(
			executions.map(() => 'success'),
		);
		const subjects = subjectsOf(executions, 'IMAP Trigger');
		expect(subjects).toHaveLength(BACKLOG);
		expect([...subjects].sort()).toEqual([...backlog].sort());
		for (const execution of executions)
			expect(nodeOutput(execution, 'IMAP Trigger').length).toBeLessThanOrEqual(BATCH);
		// Every execution ran on one worker, and the backlog was shared by both.
		const ranOn = processesOf(executions);
		expect(new Set(ranOn)).toEqual(new Set(WORKERS));
	}, 300_000);

	it('Graph validates and notifies the webhook processors; the subscription was made by the main; a burst spread over two webhook processors comes out once', async () => {
		await until('the subscription', () => graph.subscriptions.size === 1, 120_000, queue.logs);
		const notificationUrl = `${queue.webhookUrl}webhook/${webhookId}/graph`;
		expect(graph.events.filter((event) => event.type === 'validation')).toEqual([
			expect.objectContaining({ ok: true, status: 200, url: notificationUrl }),
		]);
		expect([...graph.subscriptions.values()][0]).toMatchObject({ notificationUrl });
		// The subscription was created by the main's activation (only the main activates), and the
		// main serves no production webhook: Graph can only have reached the webhook processor.
		const atMain = await fetch(`${queue.main.url}/webhook/${webhookId}/graph`, { method: 'POST' });
		expect(atMain.status).toBe(404);

		// A load balancer in front of two webhook processors: every other POST goes to the second.
		// Each runs a delta pass for its half of the burst; they meet only in Redis (README
		// "Queue mode").
		graph.notificationPolicy.spreadTo = queue.webhookUrls;
		const burst = graph.addMessages(
			UPN,
			'Inbox',
			Array.from({ length: 40 }, (_, i) => ({
				subject: `burst ${i}`,
				...(i === 0
					? {
							attachments: [
								{ name: 'sample.pdf', contentType: 'application/pdf', content: '%PDF-1.4 queue' },
							],
						}
					: {}),
			})),
		);
		await graph.settle();
		expect(graph.deliveries.map((delivery) => delivery.status)).toEqual(burst.map(() => 202));
		for (const url of queue.webhookUrls)
			expect(graph.deliveries.filter((delivery) => delivery.url.startsWith(url)).length).toBe(
				burst.length / 2,
			);
		const idsOf = (executions: Json[]) =>
			executions.flatMap((execution) =>
				nodeOutput(execution, GRAPH_NODE).map((item: Json) => item.json.id as string),
			);
		let executions: Json[] = [];
		await until(
			'every message of the burst in an execution',
			async () => {
				executions = await queue.main.executions(graphWorkflow);
				return idsOf(executions).length >= burst.length;
			},
			120_000,
			queue.logs,
		);
		// A late duplicate would arrive within the next second or two: wait, then count.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		executions = await queue.main.executions(graphWorkflow);
		expect(executions.map((execution) => execution.status)).toEqual(
			executions.map(() => 'success'),
		);
		expect(idsOf(executions).sort()).toEqual(burst.map((m) => m.id).sort());
		for (const name of processesOf(executions)) expect(WORKERS).toContain(name);
		const withPdf = executions
			.flatMap((execution) => nodeOutput(execution, GRAPH_NODE))
			.find((item: Json) => item.json.subject === 'burst 0');
		expect(withPdf.binary?.attachment_0).toMatchObject({ fileName: 'sample.pdf' });
	}, 240_000);

	it('the OpenCTI node runs on the workers and reads the attachments the main stored: one report per email', async () => {
		const [execution] = await queue.main.waitForExecutions(openCtiWorkflow, 1, 180_000);
		expect(execution.status).toBe('success');
		expect(processesOf([execution])).toEqual([expect.stringMatching(/^worker-[12]$/)]);
		const output = nodeOutput(execution, 'OpenCTI');
		expect(output.map((item: Json) => item.json.error)).toEqual(EMAILS.map(() => undefined));
		const reports = [...opencti.store.reports.values()];
		expect(reports).toHaveLength(EMAILS.length);
		expect(new Set(reports.map((report) => report.standard_id)).size).toBe(EMAILS.length);
		expect(reports.map((report) => report.upserts)).toEqual(EMAILS.map(() => 1));
		const digest = reports.find((report) => report.name === 'Weekly TLP:AMBER digest')!;
		expect(digest.files.map((file) => [file.name, file.data.toString()])).toEqual([
			['digest.pdf', '%PDF-1.7 digest'],
			['iocs.csv', 'type,value\nipv4,1.2.3.4\n'],
			['notes.txt', 'analyst notes'],
		]);
		expect(opencti.invalidRequests()).toEqual([]);
	}, 240_000);

	it('ClamAV and Mail Remediation run on the workers: the EICAR message rewritten in Dovecot once, the clean one untouched', async () => {
		const [execution] = await queue.main.waitForExecutions(remediationWorkflow, 1, 180_000);
		expect(processesOf([execution])).toEqual([expect.stringMatching(/^worker-[12]$/)]);
		expectEicarRemediatedOnce(execution, clamd.eicarSignature);
		// INBOX as a mail client sees it: one copy of the EICAR message, without the file.
		const inbox = await readFolder(
			settingsFor(dovecot, { user: 'carol', auth: { method: 'password', password: 'carolpass' } }),
			'INBOX',
		);
		const copies = inbox.filter((stored) => stored.parsed.messageId === eicarMessageId);
		expect(copies).toHaveLength(1);
		expect(copies[0].parsed.attachments.map((part) => part.filename)).toEqual([]);
		expect(copies[0].raw).not.toContain(EICAR.toString('base64').slice(0, 40));
		expect(inbox.map((stored) => stored.parsed.subject).sort()).toEqual(
			['Clean report', 'EICAR invoice'].sort(),
		);
	}, 240_000);
});
