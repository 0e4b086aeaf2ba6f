import { createHash } from 'node:crypto';

import { MailIntelError } from '../../errors';
import { region } from '../../state/registry';
import type { DsxConnectClient, Enrollment } from './client';

/**
 * The connector's registration with dsx-connect, per trigger node (registry owner). The HMAC
 * secret lives here and nowhere else: never in static data, never in an item, never in a log.
 * After a restart the trigger registers again and dsx-connect hands back the same credentials
 * (it keys them by the connector uuid, which is derived from the owner and so stays the same).
 */
export interface EnrolledConnector extends Enrollment {
	/** dsx-connect's root URL, with the connector name what the action node looks it up by. */
	coreUrl: string;
	registeredAt: number;
}

const enrollments = region<EnrolledConnector>({
	name: 'dsxConnect.enrollments',
	holds: "one connector trigger's registration: connector instance and its HMAC key id + secret",
	key: 'owner:connector',
	maxEntries: 1_000,
	clearedWhen: 'the connector trigger is deactivated',
});

interface Heartbeat {
	timer: ReturnType<typeof setInterval>;
}

const heartbeats = region<Heartbeat>({
	name: 'dsxConnect.heartbeats',
	holds: "the timer that re-registers one connector trigger (dsx-connect's presence lasts 120 s)",
	key: 'owner:connector',
	maxEntries: 1_000,
	clearedWhen:
		'the connector trigger is deactivated (the timer stops itself once its entry is gone)',
});

/** Region keys: `owner:connector`, so that clearOwner (deactivation) drops them with the rest. */
function keyOf(owner: string): string {
	return `${owner}:connector`;
}

/** dsx-connect's own connectors beat every 60 s against a 120 s presence TTL. */
export const HEARTBEAT_INTERVAL_MS = 60_000;

/**
 * A stable uuid for one trigger node at one dsx-connect: the same after a restart (dsx-connect
 * returns the same HMAC credentials), another for the test webhook and for another workflow.
 */
export function connectorUuid(owner: string, coreUrl: string): string {
	const hex = createHash('sha256')
		.update(`dsx-connect-connector\n${coreUrl}\n${owner}`)
		.digest('hex');
	// Shaped as an RFC 9562 version-8 (custom) uuid.
	const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function enroll(
	client: DsxConnectClient,
	owner: string,
	connector: Enrollment['connector'],
): Promise<EnrolledConnector> {
	const enrollment = await client.register(connector);
	const enrolled: EnrolledConnector = {
		...enrollment,
		coreUrl: client.baseUrl,
		registeredAt: Date.now(),
	};
	enrollments.set(keyOf(owner), enrolled);
	return enrolled;
}

export function enrollmentOf(owner: string): EnrolledConnector | undefined {
	return enrollments.get(keyOf(owner));
}

/**
 * The registration of the connector called `name` at `coreUrl`, for the Submit Scan Request
 * operation (which runs in another workflow). The active trigger wins over a test webhook.
 */
export function findEnrollment(coreUrl: string, name: string): EnrolledConnector {
	let found: EnrolledConnector | undefined;
	for (const [key, entry] of enrollments.values()) {
		if (entry.coreUrl !== coreUrl || entry.connector.name !== name) continue;
		if (!found || key.endsWith(':active:connector')) found = entry;
	}
	if (!found)
		throw new MailIntelError(
			`no DSX Connect Connector trigger named "${name}" is registered with ${coreUrl} in this n8n process`,
			{
				source: 'dsx',
				code: 'CONNECTOR_NOT_ENROLLED',
				field: 'connectorName',
				hint: 'Activate a workflow whose DSX Connect Connector trigger uses the same dsx-connect credential: it registers the connector and holds its HMAC key (in memory, so in queue mode the Submit Scan Request must run in the main process, e.g. from a webhook-started workflow).',
			},
		);
	return found;
}

/**
 * Re-registers every HEARTBEAT_INTERVAL_MS while the owner's entry exists. A timer whose entry
 * was removed (deactivation, eviction) or replaced stops itself at its next tick.
 */
export function startHeartbeat(
	owner: string,
	beat: () => Promise<void>,
	intervalMs = HEARTBEAT_INTERVAL_MS,
): void {
	stopHeartbeat(owner);
	const entry: Heartbeat = {
		timer: setInterval(() => {
			if (heartbeats.get(keyOf(owner)) !== entry) {
				clearInterval(entry.timer);
				return;
			}
			void beat().catch(() => undefined);
		}, intervalMs),
	};
	entry.timer.unref?.();
	heartbeats.set(keyOf(owner), entry);
}

export function heartbeatRunning(owner: string): boolean {
	return heartbeats.has(keyOf(owner));
}

export function stopHeartbeat(owner: string): void {
	const entry = heartbeats.get(keyOf(owner));
	if (entry) clearInterval(entry.timer);
	heartbeats.delete(keyOf(owner));
}

/** Deactivation: the timer and the secret go. */
export function forgetConnector(owner: string): void {
	stopHeartbeat(owner);
	enrollments.delete(keyOf(owner));
}
