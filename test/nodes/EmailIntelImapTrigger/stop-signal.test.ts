import type { INodeType, IPollFunctions } from 'n8n-workflow';

import { startDovecot, type DovecotServer } from '../../imap/dovecot';
import { dovecotCredential } from '../../imap/credentials';
import { message } from '../../lib/providers/imap/messages';
import { startHarness, type Harness } from '../../helpers/n8n/trigger';

/**
 * n8n stopping in the middle of a backlog (SIGTERM), against a real Dovecot inside n8n-core's
 * PollContext. n8n saves the static data a batch carries before it creates the batch's
 * execution, and creates none once it is stopping: a batch handed on after the signal would be
 * lost with its cursor saved. Its own file: the stop flag is process-wide and stays set.
 */
let server: DovecotServer;
const harnesses: Harness[] = [];
// n8n registers its own SIGTERM listener at start; the trigger only watches where one exists.
const n8nListener = () => undefined;

beforeAll(async () => {
	server = await startDovecot();
	process.on('SIGTERM', n8nListener);
});
afterAll(async () => {
	process.off('SIGTERM', n8nListener);
	await server?.stop();
});
afterEach(async () => {
	for (const harness of harnesses.splice(0)) await harness.close();
});

/**
 * The trigger as a freshly started n8n process loads it: its module state (stop flag, registry)
 * new; with it, how the harness waits for that module state's background drain.
 */
function freshTrigger(): {
	trigger: INodeType;
	backgroundDrainOf: (context: IPollFunctions) => Promise<void> | undefined;
} {
	let fresh: ReturnType<typeof freshTrigger> | undefined;
	jest.isolateModules(() => {
		/* eslint-disable @typescript-eslint/no-require-imports */
		const loaded = require('../../../nodes/EmailIntelImapTrigger/EmailIntelImapTrigger.node') as {
			EmailIntelImapTrigger: new () => INodeType;
		};
		const poll =
			require('../../../nodes/shared/ingest-poll') as typeof import('../../../nodes/shared/ingest-poll');
		/* eslint-enable @typescript-eslint/no-require-imports */
		fresh = {
			trigger: new loaded.EmailIntelImapTrigger(),
			backgroundDrainOf: (context) => poll.backgroundDrain(poll.pollOwner(context)),
		};
	});
	return fresh as ReturnType<typeof freshTrigger>;
}

async function start(mailbox: string) {
	const { trigger, backgroundDrainOf } = freshTrigger();
	const harness = await startHarness(trigger, {
		backgroundDrainOf,
		parameters: { mailboxes: mailbox, options: { maxItemsPerExecution: 40 } },
		credentials: { emailIntelImapApi: dovecotCredential(server) },
		typeVersion: 2,
	});
	harnesses.push(harness);
	return harness;
}

const subjectsOf = (harness: Harness) =>
	harness.executions.flatMap((execution) =>
		execution.items.map((item) => String(item.json.subject)),
	);

test('SIGTERM while a backlog is handed on: nothing more goes out, and after the restart every message arrives once', async () => {
	const mailbox = 'Stop/Backlog';
	const expected = Array.from({ length: 200 }, (_, i) => `s${i}`);
	await server.seed(
		'alice',
		mailbox,
		expected.map((subject) => message({ subject })),
	);
	const before = await start(mailbox);
	// The activation poll hands on its first batch and drains the rest in the background; the
	// signal lands right after the second batch, and from then on n8n runs nothing more.
	await before.poll('trigger', {
		afterEmit: (index) => {
			if (index === 1) process.emit('SIGTERM');
		},
		refuseFrom: 2,
	});
	const handedOn = subjectsOf(before);
	expect(handedOn).toEqual(expected.slice(0, 80));

	// n8n starts again: a new process, the workflow from what the database holds.
	const after = await start(mailbox);
	after.setStaticData(before.staticData());
	while ((await after.poll()) !== null);
	expect([...handedOn, ...subjectsOf(after)]).toEqual(expected);
});
