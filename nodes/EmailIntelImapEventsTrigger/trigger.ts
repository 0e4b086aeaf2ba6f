import type { IBinaryData, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';

import { processStopping, watchProcessStop } from '../../lib/ingest/process-stop';
import { imapIdentity } from '../../lib/providers/imap';
import {
	MailboxWatcher,
	watchMemory,
	type MailboxEvent,
	type WatchMemory,
	type WatcherSink,
} from '../../lib/providers/imap/events';
import { ownerKey } from '../../lib/state/registry';
import { n8nBinarySink } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';
import { CREDENTIAL_NAME } from '../EmailIntelImapTrigger/poll';
import { imapSettingsFrom } from '../EmailIntelImapTrigger/parameters';
import { eventItem } from './items';
import { eventsParameters, type EventsOptionValues } from './parameters';
import { readEventsState, writeCursor } from './state';

const LABEL = 'Email Intel IMAP Events Trigger';

/**
 * The long-lived trigger: one MailboxWatcher (own IDLE connection) per mailbox.
 * - Active: connects on activation (a wrong password or mailbox fails the activation), catches up
 *   from the stored cursors, then hands each event on as it happens; a connection that cannot be
 *   re-opened is reported with emitError (n8n then closes the trigger and activates it again;
 *   the new activation resumes from process memory and keeps retrying quietly until the server is
 *   back).
 * - Manual ("Listen for test event"): watches from now and hands on the first event only; it never
 *   reads or moves the active trigger's cursors.
 */
export async function startEventsTrigger(context: ITriggerFunctions): Promise<ITriggerResponse> {
	const node = context.getNode();
	const manual = context.getMode() === 'manual';
	watchProcessStop();
	let watchers: Array<{ watcher: MailboxWatcher<IBinaryData>; resume: boolean }>;
	let mailboxList = '';
	try {
		const parameters = eventsParameters(
			context.getNodeParameter('mailboxes', 'INBOX') as string,
			context.getNodeParameter('events', []),
			context.getNodeParameter('options', {}) as EventsOptionValues,
		);
		mailboxList = parameters.mailboxes.map((mailbox) => `"${mailbox}"`).join(', ');
		const settings = imapSettingsFrom(await context.getCredentials(CREDENTIAL_NAME));
		const identity = imapIdentity(settings);
		const owner = ownerKey(context.getWorkflow().id, node.id ?? node.name, manual);
		const staticData = context.getWorkflowStaticData('node');
		const stored = manual ? undefined : readEventsState(staticData, identity);
		let handedOnInManualMode = false;

		const sink: WatcherSink<IBinaryData> = {
			async deliver(mailbox, events, cursor) {
				// A stopping n8n saves the cursor but runs no execution (README "Exactly once"):
				// these events wait for the next start, which reads them again from the stored cursor.
				if (processStopping()) return;
				if (!manual) writeCursor(staticData, identity, parameters.mailboxes, mailbox, cursor);
				let wanted = events.filter((event) => parameters.events.has(event.type));
				if (wanted.length === 0) return;
				if (manual) {
					if (handedOnInManualMode) return;
					handedOnInManualMode = true;
					wanted = wanted.slice(0, 1);
				}
				const items = await Promise.all(
					wanted.map((event: MailboxEvent<IBinaryData>) => eventItem(context, settings, event)),
				);
				// n8n saves the static data written above, then starts the execution.
				context.emit([items]);
			},
			lost(mailbox, error) {
				error.message = `"${mailbox}": ${error.message}; reconnecting`;
				context.emitError(toNodeError(node, error));
			},
			warn(mailbox, message) {
				context.logger.warn(`${LABEL}: "${mailbox}": ${message}`);
			},
		};

		const attachments = n8nBinarySink(context);
		watchers = parameters.mailboxes.map((mailbox) => {
			const key = `${owner}:${mailbox}`;
			let memory: WatchMemory | undefined = manual ? undefined : watchMemory.get(key);
			const resume = memory?.outage === true;
			if (!memory || memory.cursor?.uidValidity === undefined) {
				const cursor = stored?.mailboxes[mailbox];
				memory = cursor ? { cursor: { ...cursor } } : {};
				if (!manual) watchMemory.set(key, memory);
			}
			const watcher = new MailboxWatcher<IBinaryData>({
				settings,
				mailbox,
				memory,
				policy: parameters.policy,
				attachments,
				keepRaw: parameters.keepRaw,
				batchSize: parameters.batchSize,
				sink,
			});
			return { watcher, resume };
		});
	} catch (error) {
		throw toNodeError(node, error);
	}

	const closeFunction = async () => {
		await Promise.all(watchers.map(({ watcher }) => watcher.stop()));
	};
	const start = async () => {
		try {
			await Promise.all(
				watchers.map(({ watcher, resume }) =>
					resume ? watcher.startInBackground() : watcher.start(),
				),
			);
		} catch (error) {
			await closeFunction();
			throw toNodeError(node, error);
		}
	};
	if (manual) return { closeFunction, manualTriggerFunction: start };
	await start();
	// Also what tells an operator (and the real-n8n test) that the baseline is taken.
	context.logger.info(`${LABEL}: watching ${mailboxList} over IDLE`);
	return { closeFunction };
}
