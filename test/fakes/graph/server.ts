import {
	createHash,
	createPublicKey,
	randomBytes,
	randomUUID,
	verify as verifySignature,
	constants as cryptoConstants,
	X509Certificate,
} from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { makeSelfSigned, type SelfSigned } from './certs';

/**
 * An https stand-in for Microsoft Graph + the Entra ID token endpoint, close enough to the
 * real services for the trigger's exactly-once logic to be tested honestly:
 * - token endpoint (client_credentials) checking the client secret, or the client assertion
 *   JWT's signature against a registered certificate;
 * - `/v1.0/users/{upn}/mailFolders/{folder}/messages/delta` with absolute nextLink/deltaLink,
 *   `@removed` entries, `Prefer: odata.maxpagesize`, tokens that can be expired (410 or
 *   syncStateNotFound);
 * - messages, attachments (file/item/reference) and `/$value`; what remediation changes:
 *   attachment DELETE, PATCH of categories/subject/body/singleValueExtendedProperties (body and
 *   subject refused on received mail when `refuseContentUpdate` is set, as Graph may), `/move`,
 *   `/copy`, folder creation (`POST mailFolders`, `POST mailFolders/{id}/childFolders`);
 * - subscriptions that really POST the validation token to the subscriber and fail creation
 *   (400, as Graph does) when the answer is wrong or later than 10 s; notifications delivered
 *   with configurable drops, duplicates and reordering; lifecycle events; expiry; renew; delete;
 * - throttling: a 429/503 storm with Retry-After, and MailboxConcurrency (more than N requests
 *   in flight for one mailbox -> 429); the largest in-flight count per mailbox is recorded.
 */

export interface FakeAttachmentInput {
	kind?: 'file' | 'item' | 'reference';
	name: string;
	contentType?: string;
	content?: Buffer | string;
	isInline?: boolean;
}

export interface FakeMessageInput {
	subject?: string;
	from?: string;
	to?: string[];
	body?: string;
	bodyType?: 'html' | 'text';
	receivedDateTime?: string;
	attachments?: FakeAttachmentInput[];
}

interface FakeAttachment {
	id: string;
	kind: 'file' | 'item' | 'reference';
	name: string;
	contentType: string;
	content: Buffer;
	isInline: boolean;
}

export interface FakeMessage {
	id: string;
	upn: string;
	folder: string;
	seq: number;
	removed: boolean;
	isRead: boolean;
	subject: string;
	from: string;
	to: string[];
	body: string;
	bodyType: 'html' | 'text';
	receivedDateTime: string;
	internetMessageId: string;
	categories: string[];
	attachments: FakeAttachment[];
	/** singleValueExtendedProperties by id (as written). */
	extendedProperties: Map<string, string>;
}

interface FolderStore {
	upn: string;
	folder: string;
	seq: number;
	/** Tokens carry the epoch; expiring tokens bumps it. */
	epoch: number;
	expiredMode?: 'gone' | 'syncStateNotFound';
	messages: Map<string, FakeMessage>;
}

interface FakeFolder {
	id: string;
	displayName: string;
	parentId: string | null;
}

/** The default folders at the top of every mailbox: [id (= well-known name), display name]. */
const WELL_KNOWN_FOLDERS: Array<[string, string]> = [
	['Inbox', 'Inbox'],
	['Drafts', 'Drafts'],
	['SentItems', 'Sent Items'],
	['DeletedItems', 'Deleted Items'],
	['JunkEmail', 'Junk Email'],
	['Archive', 'Archive'],
];

export interface FakeSubscription {
	id: string;
	resource: string;
	upn: string;
	folder: string;
	changeType: string;
	notificationUrl: string;
	lifecycleNotificationUrl?: string;
	clientState?: string;
	expirationDateTime: string;
}

export type FakeEvent =
	| { type: 'validation'; url: string; ok: boolean; status: number; ms: number; reason?: string }
	| { type: 'created'; id: string; resource: string; expirationDateTime: string }
	| { type: 'createFailed'; reason: string }
	| { type: 'renewed'; id: string; expirationDateTime: string }
	| { type: 'deleted'; id: string; found: boolean }
	| { type: 'lifecycle'; id: string; event: string; status: number }
	| { type: 'deltaExpired'; upn: string; folder: string; status: number };

export interface Delivery {
	/** Where it was POSTed (the subscription's URL, or spread: NotificationPolicy.spreadTo). */
	url: string;
	subscriptionId: string;
	messageIds: string[];
	status: number;
	ms: number;
	body: string;
}

export interface RequestLog {
	/** performance.now() when the request arrived, and when its answer was sent. */
	arrivedAt: number;
	t: number;
	method: string;
	path: string;
	mailbox?: string;
	status: number;
	retryAfterMs?: number;
	prefer?: string;
	clientRequestId?: string;
	userAgent?: string;
}

/** A request that arrived while its mailbox was inside a Retry-After window the fake had sent. */
export interface ThrottleViolation {
	mailbox: string;
	method: string;
	path: string;
	/** How far inside the window it arrived, ms before the window's end. */
	earlyByMs: number;
}

/** An answer forced on matching requests (before routing), e.g. a 500 for `POST /subscriptions`. */
export interface FakeFault {
	method?: string;
	path: RegExp;
	status: number;
	/** How many matching requests get it (default 1). */
	times?: number;
	/** Accept the request and never answer it (the socket stays open until close()). */
	stall?: boolean;
}

export interface NotificationPolicy {
	/** Share of notifications never delivered. */
	dropRate: number;
	/** Share delivered twice. */
	duplicateRate: number;
	/** Deliver in shuffled order. */
	reorder: boolean;
	/** Deliver as soon as messages are added (else call flushNotifications()). */
	auto: boolean;
	/**
	 * A load balancer in front of several webhook processes: delivery n goes to the subscription's
	 * URL with its origin replaced by `spreadTo[n % length]` (empty: the URL as subscribed).
	 */
	spreadTo: string[];
}

export interface ThrottlePolicy {
	/**
	 * Share of Graph requests answered with `status` + Retry-After (a storm). Deterministic: the
	 * n-th request of a mailbox is throttled when a hash of (seed, mailbox, n) falls below it, so
	 * a run's decisions do not depend on how the mailboxes' requests interleave.
	 */
	rate: number;
	retryAfterSeconds: number;
	status: 429 | 503;
	/** Only the first N throttled answers (then the storm passes); Infinity = no end. */
	budget: number;
	/**
	 * Answer a request that arrives inside its mailbox's Retry-After window with another 429, as
	 * Graph does (default). Off for tests that drive the client on a virtual clock, whose waits
	 * pass without real time passing; violations are recorded either way.
	 */
	enforceWindows?: boolean;
}

export interface FakeGraphOptions {
	tenantId?: string;
	clientId?: string;
	clientSecret?: string;
	/** Delay before every Graph answer, in ms (the bench's per-request latency). */
	latencyMs?: number;
	/** Page size when the client does not ask for one (Graph's default is 10). */
	defaultPageSize?: number;
	/** Requests allowed in flight per mailbox before a MailboxConcurrency 429. */
	mailboxConcurrency?: number;
	seed?: number;
	/** Loopback port to listen on (default: a free one). The demo uses fixed ports. */
	port?: number;
}

export interface FakeGraph {
	url: string;
	host: string;
	port: number;
	authorityHost: string;
	tenantId: string;
	clientId: string;
	clientSecret: string;
	tls: SelfSigned;
	/** PEM of the fake's certificate, and its path (for NODE_EXTRA_CA_CERTS). */
	caPem: string;
	caPath: string;
	registerCertificate(certPem: string): void;
	/**
	 * The `microsoftGraphAppApi` credential data that points at this fake (client secret).
	 * `trustCa: false` leaves the CA out, for runs that trust it through NODE_EXTRA_CA_CERTS.
	 */
	credentialData(options?: { clientSecret?: string; trustCa?: boolean }): Record<string, string>;
	/**
	 * Creates the folders of a path that do not exist yet (`Inbox/Phishing Reports`: a child of
	 * the Inbox) and returns the last one's id, which addMessages and the URLs then use. A path
	 * starts at the top of the mailbox; the well-known folders are there already, their ids being
	 * their well-known names (`Inbox`, `JunkEmail`), and so is any folder addMessages was given
	 * by name alone.
	 */
	addFolder(upn: string, path: string): string;
	addMessages(upn: string, folder: string, inputs: FakeMessageInput[]): FakeMessage[];
	markRead(upn: string, folder: string, ids: string[]): void;
	removeMessages(upn: string, folder: string, ids: string[]): void;
	messages(upn: string, folder: string): FakeMessage[];
	/** Every message of a mailbox, whatever folder it is in now (a move keeps its immutable id). */
	mailboxMessages(upn: string): FakeMessage[];
	/** A folder's display name by its id (well-known ids are their names). */
	folderName(upn: string, id: string): string | undefined;
	expireDeltaTokens(upn: string, folder: string, mode?: 'gone' | 'syncStateNotFound'): void;
	notificationPolicy: NotificationPolicy;
	flushNotifications(): Promise<Delivery[]>;
	/** Waits until every delivery started so far has been answered. */
	settle(): Promise<void>;
	throttle: ThrottlePolicy;
	subscriptions: Map<string, FakeSubscription>;
	setSubscriptionExpiry(id: string, at: Date): void;
	removeSubscription(id: string): Promise<number>;
	sendLifecycle(
		id: string,
		event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
	): Promise<number>;
	/** Sends a notification with any body (e.g. a wrong clientState) to a URL; returns status and time. */
	post(url: string, body: unknown): Promise<{ status: number; ms: number; text: string }>;
	events: FakeEvent[];
	deliveries: Delivery[];
	requests: RequestLog[];
	maxInFlight: Map<string, number>;
	/** Requests that arrived inside a Retry-After window of their mailbox (each also got a 429). */
	violations: ThrottleViolation[];
	/** Forces answers on the next matching requests. */
	fault(fault: FakeFault): void;
	/** Removes every fault not used up yet (the failing service recovered). */
	clearFaults(): void;
	/** Forgets every access token issued so far (revoked, or expired early): Graph answers 401. */
	revokeTokens(): void;
	tokensIssued: number;
	/** Requests to /v1.0 without `Prefer: IdType="ImmutableId"`. */
	missingImmutableId: number;
	/**
	 * Answer a PATCH of `subject` or `body` with 400, as Graph does for received mail in some
	 * mailboxes (only drafts are fully editable); categories and extended properties still work.
	 */
	refuseContentUpdate: boolean;
	close(): Promise<void>;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const unb64 = <T>(value: string): T | undefined => {
	try {
		return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as T;
	} catch {
		return undefined;
	}
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Mulberry32: reproducible drop/duplicate/reorder decisions. */
function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const MAX_SUBSCRIPTION_MINUTES = 10_080;
/**
 * A Retry-After window counts from the moment its 429 left the fake, but a request the client had
 * already sent, or was sending while the 429 was on its way, cannot have obeyed it: on loopback
 * such a request arrives within a few milliseconds (3.3 ms was the most seen in the storm tests).
 * Requests arriving within this allowance after the 429 are not violations; anything later in the
 * window is (a client that ignores the window, as one that retries per request, keeps sending
 * throughout it).
 *
 * On a loaded machine the fake (which shares the client's process in tests) may read a request
 * long after it was sent: the allowance then grows by the event-loop lag measured since the
 * window opened. Two things stay violations whatever the lag: a request on the very connection
 * that carried the 429 (HTTP/1.1 sends nothing on it before the client has read that answer: the
 * pattern of a client whose freed slot fires the next queued request at once), and anything
 * arriving after the allowance and the lag.
 */
export const WINDOW_DELIVERY_ALLOWANCE_MS = 50;

/**
 * The real timers, taken when this module loads: a test that fakes timers later (to move the
 * calendar) must not turn the lag monitor's 5 ms ticks into virtual ones.
 */
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;

/** The fake's own event-loop lag: how late its timer ticks ran, for the allowance above. */
function eventLoopLag() {
	const TICK_MS = 5;
	const samples: Array<{ at: number; lagMs: number }> = [];
	let last = performance.now();
	const timer = realSetInterval(() => {
		const now = performance.now();
		const lagMs = now - last - TICK_MS;
		last = now;
		if (lagMs > 1) samples.push({ at: now, lagMs });
		while (samples.length > 0 && samples[0].at < now - 60_000) samples.shift();
	}, TICK_MS);
	timer.unref();
	return {
		/** The longest stall seen since `t` (performance.now()). */
		maxSince(t: number): number {
			let max = 0;
			for (const sample of samples) if (sample.at >= t) max = Math.max(max, sample.lagMs);
			return max;
		},
		stop: () => realClearInterval(timer),
	};
}
const VALIDATION_TIMEOUT_MS = 10_000;

export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
	const tls = makeSelfSigned('127.0.0.1');
	const tenantId = options.tenantId ?? randomUUID();
	const clientId = options.clientId ?? randomUUID();
	const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
	const random = prng(options.seed ?? 42);
	const certificates: X509Certificate[] = [];
	const tokens = new Set<string>();
	const folders = new Map<string, FolderStore>();
	const messagesById = new Map<string, FakeMessage>();
	const subscriptions = new Map<string, FakeSubscription>();
	const events: FakeEvent[] = [];
	const deliveries: Delivery[] = [];
	const requests: RequestLog[] = [];
	const inFlight = new Map<string, number>();
	const maxInFlight = new Map<string, number>();
	const violations: ThrottleViolation[] = [];
	/** Per mailbox: when the Retry-After it was last sent ends (performance.now()). */
	const throttledUntil = new Map<
		string,
		{ start: number; end: number; sockets: WeakSet<object> }
	>();
	const lag = eventLoopLag();
	/** Per mailbox: how many Graph requests it has had (the throttle decision's input). */
	const requestCounts = new Map<string, number>();
	const faults: Array<FakeFault & { left: number }> = [];
	const stalled = new Set<http.ServerResponse>();
	const seed = options.seed ?? 42;
	const pendingNotifications: Array<{ sub: FakeSubscription; message: FakeMessage }> = [];
	const running = new Set<Promise<unknown>>();
	const notificationPolicy: NotificationPolicy = {
		dropRate: 0,
		duplicateRate: 0,
		reorder: false,
		auto: true,
		spreadTo: [],
	};
	let deliveriesSpread = 0;
	const throttle: ThrottlePolicy = { rate: 0, retryAfterSeconds: 1, status: 429, budget: Infinity };
	let throttledSoFar = 0;
	const latencyMs = options.latencyMs ?? 0;
	const mailboxConcurrency = options.mailboxConcurrency ?? 4;
	let base = '';

	const folderKey = (upn: string, folder: string) => `${upn.toLowerCase()}|${folder.toLowerCase()}`;
	const store = (upn: string, folder: string): FolderStore => {
		const key = folderKey(upn, folder);
		let found = folders.get(key);
		if (!found) {
			folders.set(key, (found = { upn, folder, seq: 0, epoch: 1, messages: new Map() }));
			// A folder first met by name is a top-level folder whose id is that name.
			if (!folderById(upn, folder))
				folderTree(upn).push({ id: folder, displayName: folder, parentId: null });
		}
		return found;
	};
	/** Per mailbox: every folder with its display name and parent (null: the top of the mailbox). */
	const trees = new Map<string, FakeFolder[]>();
	const folderTree = (upn: string): FakeFolder[] => {
		let tree = trees.get(upn.toLowerCase());
		if (!tree) {
			tree = WELL_KNOWN_FOLDERS.map(([id, displayName]) => ({ id, displayName, parentId: null }));
			trees.set(upn.toLowerCase(), tree);
		}
		return tree;
	};
	/** A folder by id; well-known names match in any case, as Graph's do. */
	const folderById = (upn: string, id: string): FakeFolder | undefined =>
		folderTree(upn).find((f) => f.id === id || f.id.toLowerCase() === id.toLowerCase());
	/** A change to a message: it gets its folder's next sequence number, so delta reports it. */
	const touch = (message: FakeMessage) => {
		message.seq = ++store(message.upn, message.folder).seq;
	};

	const fake: FakeGraph = {
		url: '',
		host: '127.0.0.1',
		port: 0,
		authorityHost: '',
		tenantId,
		clientId,
		clientSecret,
		tls,
		caPem: tls.certPem,
		caPath: tls.certPath,
		registerCertificate(certPem) {
			certificates.push(new X509Certificate(certPem));
		},
		credentialData(this: FakeGraph, options = {}) {
			return {
				tenantId: this.tenantId,
				clientId: this.clientId,
				authType: 'secret',
				clientSecret: options.clientSecret ?? this.clientSecret,
				authorityHost: this.authorityHost,
				graphBaseUrl: this.url,
				...(options.trustCa === false ? {} : { caCertificate: this.caPem }),
			};
		},
		addFolder(upn, path) {
			let parentId: string | null = null;
			for (const name of path.split('/').filter(Boolean)) {
				const siblings = folderTree(upn).filter((f) => f.parentId === parentId);
				let folder = siblings.find((f) => f.displayName.toLowerCase() === name.toLowerCase());
				if (!folder) {
					folder = {
						id: `AAMkAGFolder${randomBytes(60).toString('base64url')}`,
						displayName: name,
						parentId,
					};
					folderTree(upn).push(folder);
				}
				parentId = folder.id;
			}
			if (parentId === null) throw new Error(`addFolder: empty path "${path}"`);
			return parentId;
		},
		addMessages(upn, folder, inputs) {
			const folderStore = store(upn, folder);
			const added = inputs.map((input, index) => {
				const id = `AAMk${randomBytes(18).toString('base64url')}=`;
				const message: FakeMessage = {
					id,
					upn,
					folder,
					seq: ++folderStore.seq,
					removed: false,
					isRead: false,
					subject: input.subject ?? `Message ${folderStore.seq}`,
					from: input.from ?? 'sender@example.org',
					to: input.to ?? [upn],
					body: input.body ?? `<p>Body of message ${folderStore.seq}</p>`,
					bodyType: input.bodyType ?? 'html',
					receivedDateTime: input.receivedDateTime ?? new Date(Date.now() + index).toISOString(),
					internetMessageId: `<${randomUUID()}@example.org>`,
					categories: [],
					extendedProperties: new Map(),
					attachments: (input.attachments ?? []).map((attachment) => ({
						id: `AAMkAtt${randomBytes(12).toString('base64url')}=`,
						kind: attachment.kind ?? 'file',
						name: attachment.name,
						contentType: attachment.contentType ?? 'application/octet-stream',
						content: Buffer.isBuffer(attachment.content)
							? attachment.content
							: Buffer.from(attachment.content ?? `content of ${attachment.name}`),
						isInline: attachment.isInline ?? false,
					})),
				};
				folderStore.messages.set(id, message);
				messagesById.set(id, message);
				return message;
			});
			for (const sub of subscriptions.values()) {
				if (folderKey(sub.upn, sub.folder) !== folderKey(upn, folder)) continue;
				for (const message of added) pendingNotifications.push({ sub, message });
			}
			if (notificationPolicy.auto) void fake.flushNotifications();
			return added;
		},
		markRead(upn, folder, ids) {
			const folderStore = store(upn, folder);
			for (const id of ids) {
				const message = folderStore.messages.get(id);
				if (message) {
					message.isRead = true;
					touch(message);
				}
			}
		},
		removeMessages(upn, folder, ids) {
			const folderStore = store(upn, folder);
			for (const id of ids) {
				const message = folderStore.messages.get(id);
				if (message) {
					message.removed = true;
					touch(message);
				}
			}
		},
		messages(upn, folder) {
			return [...store(upn, folder).messages.values()].filter((message) => !message.removed);
		},
		mailboxMessages(upn) {
			return [...messagesById.values()].filter(
				(message) => !message.removed && message.upn.toLowerCase() === upn.toLowerCase(),
			);
		},
		folderName(upn, id) {
			return folderById(upn, id)?.displayName;
		},
		expireDeltaTokens(upn, folder, mode = 'gone') {
			const folderStore = store(upn, folder);
			folderStore.epoch++;
			folderStore.expiredMode = mode;
		},
		notificationPolicy,
		async flushNotifications() {
			let batch = pendingNotifications.splice(0);
			const out: Array<{ sub: FakeSubscription; message: FakeMessage }> = [];
			for (const entry of batch) {
				if (random() < notificationPolicy.dropRate) continue;
				out.push(entry);
				if (random() < notificationPolicy.duplicateRate) out.push(entry);
			}
			batch = out;
			if (notificationPolicy.reorder) {
				for (let i = batch.length - 1; i > 0; i--) {
					const j = Math.floor(random() * (i + 1));
					[batch[i], batch[j]] = [batch[j], batch[i]];
				}
			}
			const sent = batch.map(({ sub, message }) => track(deliver(sub, [message])));
			return Promise.all(sent);
		},
		async settle() {
			while (running.size > 0) await Promise.allSettled([...running]);
		},
		throttle,
		subscriptions,
		setSubscriptionExpiry(id, at) {
			const sub = subscriptions.get(id);
			if (sub) sub.expirationDateTime = at.toISOString();
		},
		async removeSubscription(id) {
			const sub = subscriptions.get(id);
			if (!sub) return 404;
			subscriptions.delete(id);
			return lifecycle(sub, 'subscriptionRemoved');
		},
		async sendLifecycle(id, event) {
			const sub = subscriptions.get(id);
			if (!sub) return 404;
			return lifecycle(sub, event);
		},
		post: (url, body) =>
			postTo(url, JSON.stringify(body), 'application/json', VALIDATION_TIMEOUT_MS),
		events,
		deliveries,
		requests,
		maxInFlight,
		violations,
		fault(fault) {
			faults.push({ ...fault, left: fault.times ?? 1 });
		},
		clearFaults() {
			faults.length = 0;
		},
		revokeTokens() {
			tokens.clear();
		},
		tokensIssued: 0,
		missingImmutableId: 0,
		refuseContentUpdate: false,
		async close() {
			await fake.settle();
			lag.stop();
			for (const res of stalled) res.destroy();
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
			fs.rmSync(tls.dir, { recursive: true, force: true });
		},
	};

	function track<T>(promise: Promise<T>): Promise<T> {
		running.add(promise);
		void promise.finally(() => running.delete(promise)).catch(() => undefined);
		return promise;
	}

	function notificationBody(sub: FakeSubscription, messages: FakeMessage[]) {
		return {
			value: messages.map((message) => ({
				id: randomBytes(8).toString('hex'),
				subscriptionId: sub.id,
				subscriptionExpirationDateTime: sub.expirationDateTime,
				clientState: sub.clientState,
				changeType: 'created',
				resource: `Users/${message.upn}/Messages/${message.id}`,
				tenantId,
				resourceData: {
					'@odata.type': '#Microsoft.Graph.Message',
					'@odata.id': `Users/${message.upn}/Messages/${message.id}`,
					'@odata.etag': `W/"${message.seq}"`,
					id: message.id,
				},
			})),
		};
	}

	async function deliver(sub: FakeSubscription, messages: FakeMessage[]): Promise<Delivery> {
		const body = JSON.stringify(notificationBody(sub, messages));
		const spread = notificationPolicy.spreadTo;
		const url = new URL(sub.notificationUrl);
		if (spread.length > 0) {
			const origin = new URL(spread[deliveriesSpread++ % spread.length]);
			url.protocol = origin.protocol;
			url.host = origin.host;
		}
		const result = await postTo(url.toString(), body, 'application/json', 30_000).catch(
			(error: Error) => ({ status: 0, ms: 0, text: error.message }),
		);
		const delivery = {
			url: url.toString(),
			subscriptionId: sub.id,
			messageIds: messages.map((m) => m.id),
			status: result.status,
			ms: result.ms,
			body: result.text,
		};
		deliveries.push(delivery);
		return delivery;
	}

	async function lifecycle(sub: FakeSubscription, event: string): Promise<number> {
		const url = sub.lifecycleNotificationUrl ?? sub.notificationUrl;
		const body = {
			value: [
				{
					subscriptionId: sub.id,
					subscriptionExpirationDateTime: sub.expirationDateTime,
					tenantId,
					clientState: sub.clientState,
					lifecycleEvent: event,
				},
			],
		};
		const result = await track(postTo(url, JSON.stringify(body), 'application/json', 30_000));
		events.push({ type: 'lifecycle', id: sub.id, event, status: result.status });
		return result.status;
	}

	function postTo(
		url: string,
		body: string,
		contentType: string,
		timeoutMs: number,
	): Promise<{ status: number; ms: number; text: string; contentType?: string }> {
		const started = performance.now();
		const target = new URL(url);
		const lib = target.protocol === 'https:' ? https : http;
		return new Promise((resolve, reject) => {
			const req = lib.request(
				target,
				{
					method: 'POST',
					headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
					timeout: timeoutMs,
					...(target.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (chunk: Buffer) => chunks.push(chunk));
					res.on('end', () =>
						resolve({
							status: res.statusCode ?? 0,
							ms: performance.now() - started,
							text: Buffer.concat(chunks).toString('utf8'),
							contentType: res.headers['content-type'],
						}),
					);
				},
			);
			req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
			req.on('error', reject);
			req.end(body);
		});
	}

	async function validate(url: string): Promise<string | undefined> {
		const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
		const separator = url.includes('?') ? '&' : '?';
		const started = performance.now();
		try {
			const result = await postTo(
				`${url}${separator}validationToken=${encodeURIComponent(token)}`,
				'',
				'text/plain; charset=utf-8',
				VALIDATION_TIMEOUT_MS,
			);
			let reason: string | undefined;
			if (result.status !== 200) reason = `answered ${result.status}`;
			else if (result.text !== token)
				reason = 'answered with a body that is not the validation token';
			else if (!String(result.contentType ?? '').startsWith('text/plain'))
				reason = `answered with Content-Type ${result.contentType}`;
			events.push({
				type: 'validation',
				url,
				ok: !reason,
				status: result.status,
				ms: result.ms,
				...(reason ? { reason } : {}),
			});
			return reason;
		} catch (error) {
			const reason = (error as Error).message;
			events.push({
				type: 'validation',
				url,
				ok: false,
				status: 0,
				ms: performance.now() - started,
				reason,
			});
			return reason;
		}
	}

	// ---------- HTTP handling ----------

	type Reply = {
		status: number;
		headers?: Record<string, string>;
		body?: unknown;
		raw?: Buffer;
		contentType?: string;
	};
	const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
		status,
		body,
		headers,
	});
	/** A request's JSON body, or the 400 Graph answers a body it cannot read with. */
	const jsonBody = <T>(raw: string): { body: T } | { error: Reply } => {
		try {
			return { body: JSON.parse(raw) as T };
		} catch {
			return { error: graphError(400, 'BadRequest', 'Unable to read JSON request payload.') };
		}
	};
	const graphError = (
		status: number,
		code: string,
		message: string,
		headers?: Record<string, string>,
	) =>
		json(
			status,
			{
				error: {
					code,
					message,
					innerError: { 'request-id': randomUUID(), date: new Date().toISOString() },
				},
			},
			headers,
		);

	async function readBody(req: http.IncomingMessage): Promise<string> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		return Buffer.concat(chunks).toString('utf8');
	}

	/**
	 * A refusal as Entra ID words it: the OAuth error, `AADSTSn: ...` with trace lines in the
	 * description, the number again in `error_codes`, trace and correlation ids.
	 */
	function entraError(status: number, error: string, aadsts: number, text: string): Reply {
		const traceId = randomUUID();
		const correlationId = randomUUID();
		const timestamp = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
		return json(status, {
			error,
			error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
			error_codes: [aadsts],
			timestamp,
			trace_id: traceId,
			correlation_id: correlationId,
			error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
		});
	}

	function tokenEndpoint(form: URLSearchParams): Reply {
		if (form.get('grant_type') !== 'client_credentials')
			return json(400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003' });
		if (form.get('client_id') !== clientId)
			return entraError(
				400,
				'unauthorized_client',
				700016,
				`Application with identifier '${form.get('client_id')}' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
			);
		const secret = form.get('client_secret');
		const assertion = form.get('client_assertion');
		if (secret !== null && secret !== clientSecret)
			return entraError(
				401,
				'invalid_client',
				7000215,
				`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
			);
		if (secret === null && !(assertion && assertionValid(assertion)))
			return entraError(
				401,
				'invalid_client',
				700027,
				'The certificate with identifier used to sign the client assertion is not registered on application.',
			);
		const token = `fake.${randomBytes(24).toString('base64url')}`;
		tokens.add(token);
		fake.tokensIssued++;
		return json(200, {
			token_type: 'Bearer',
			expires_in: 3599,
			ext_expires_in: 3599,
			access_token: token,
		});
	}

	function assertionValid(assertion: string): boolean {
		const [headerPart, payloadPart, signaturePart] = assertion.split('.');
		const header = unb64<{ alg?: string }>(headerPart ?? '');
		const payload = unb64<{ iss?: string; sub?: string; aud?: string; exp?: number }>(
			payloadPart ?? '',
		);
		if (!header || !payload || !signaturePart) return false;
		if (payload.iss !== clientId || payload.sub !== clientId) return false;
		if (!payload.exp || payload.exp * 1000 < Date.now()) return false;
		const data = Buffer.from(`${headerPart}.${payloadPart}`);
		const signature = Buffer.from(signaturePart, 'base64url');
		return certificates.some((cert) => {
			const key = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }));
			if (header.alg === 'PS256') {
				return verifySignature(
					'sha256',
					data,
					{ key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
					signature,
				);
			}
			return header.alg === 'RS256' && verifySignature('sha256', data, key, signature);
		});
	}

	function mailboxOf(path: string): string | undefined {
		const match = /^\/v1\.0\/users\/([^/?]+)/i.exec(path);
		return match ? decodeURIComponent(match[1]).toLowerCase() : undefined;
	}

	function messageJson(message: FakeMessage) {
		return {
			'@odata.type': '#microsoft.graph.message',
			'@odata.etag': `W/"${message.seq}"`,
			id: message.id,
			subject: message.subject,
			from: { emailAddress: { name: message.from.split('@')[0], address: message.from } },
			sender: { emailAddress: { name: message.from.split('@')[0], address: message.from } },
			replyTo: [],
			toRecipients: message.to.map((address) => ({
				emailAddress: { name: address.split('@')[0], address },
			})),
			ccRecipients: [],
			bccRecipients: [],
			receivedDateTime: message.receivedDateTime,
			sentDateTime: message.receivedDateTime,
			internetMessageId: message.internetMessageId,
			conversationId: `conv-${message.id.slice(4, 12)}`,
			body: { contentType: message.bodyType, content: message.body },
			hasAttachments: message.attachments.length > 0,
			isRead: message.isRead,
			flag: { flagStatus: 'notFlagged' },
			categories: [...message.categories],
			parentFolderId: message.folder,
		};
	}

	/** PATCH /messages/{id}: the writable properties the connectors use (categories, isRead). */
	function updateMessage(message: FakeMessage, raw: string): Reply {
		const read = jsonBody<Record<string, unknown>>(raw || '{}');
		if ('error' in read) return read.error;
		for (const [key, value] of Object.entries(read.body)) {
			if (key === 'categories') {
				if (!Array.isArray(value) || value.some((name) => typeof name !== 'string'))
					return graphError(400, 'ErrorInvalidProperty', 'categories must be an array of strings.');
				message.categories = [...(value as string[])];
			} else if (key === 'subject' || key === 'body') {
				if (fake.refuseContentUpdate)
					return graphError(
						400,
						'ErrorInvalidPropertyUpdateSentMessage',
						'Update operation is not supported for some properties after the message is sent.',
					);
				if (key === 'subject') {
					if (typeof value !== 'string')
						return graphError(400, 'ErrorInvalidProperty', 'subject must be a string.');
					message.subject = value;
				} else {
					const body = value as { contentType?: string; content?: unknown };
					if (typeof body?.content !== 'string' || !/^(html|text)$/i.test(body.contentType ?? ''))
						return graphError(400, 'ErrorInvalidProperty', 'body needs contentType and content.');
					message.body = body.content;
					message.bodyType = body.contentType!.toLowerCase() as 'html' | 'text';
				}
			} else if (key === 'singleValueExtendedProperties') {
				const list = value as Array<{ id?: unknown; value?: unknown }>;
				if (
					!Array.isArray(list) ||
					list.some((p) => typeof p?.id !== 'string' || typeof p?.value !== 'string')
				)
					return graphError(
						400,
						'ErrorInvalidProperty',
						'singleValueExtendedProperties need id and value strings.',
					);
				for (const property of list)
					message.extendedProperties.set(property.id as string, property.value as string);
			} else if (key === 'isRead') {
				if (typeof value !== 'boolean')
					return graphError(400, 'ErrorInvalidProperty', 'isRead must be a boolean.');
				message.isRead = value;
			} else {
				return graphError(
					400,
					'ErrorInvalidProperty',
					`The property '${key}' is not writable here.`,
				);
			}
		}
		touch(message);
		return json(200, messageJson(message));
	}

	/**
	 * POST /messages/{id}/move: the message leaves its folder (an @removed entry in that
	 * folder's delta) and is created in the destination (named by folder name or well-known
	 * name here). With `Prefer: IdType="ImmutableId"` it keeps its id; otherwise it gets a new one.
	 */
	function moveMessage(message: FakeMessage, raw: string, prefer: string): Reply {
		const read = jsonBody<{ destinationId?: unknown }>(raw || '{}');
		if ('error' in read) return read.error;
		const { destinationId } = read.body;
		if (typeof destinationId !== 'string' || !destinationId)
			return graphError(400, 'ErrorInvalidIdMalformed', 'destinationId is required.');
		const destination = store(message.upn, destinationId);
		const immutable = /IdType="ImmutableId"/.test(prefer);
		const moved: FakeMessage = {
			...message,
			id: immutable ? message.id : `AAMk${randomBytes(18).toString('base64url')}=`,
			folder: destination.folder,
			seq: ++destination.seq,
			categories: [...message.categories],
			attachments: [...message.attachments],
			extendedProperties: new Map(message.extendedProperties),
		};
		message.removed = true;
		touch(message);
		destination.messages.set(moved.id, moved);
		messagesById.set(moved.id, moved);
		for (const sub of subscriptions.values()) {
			if (folderKey(sub.upn, sub.folder) === folderKey(moved.upn, moved.folder))
				pendingNotifications.push({ sub, message: moved });
		}
		if (notificationPolicy.auto) void fake.flushNotifications();
		return json(201, messageJson(moved));
	}

	/** POST /messages/{id}/copy: a new message (new id, always) in the destination; the original stays. */
	function copyMessage(message: FakeMessage, raw: string): Reply {
		const read = jsonBody<{ destinationId?: unknown }>(raw || '{}');
		if ('error' in read) return read.error;
		const { destinationId } = read.body;
		if (typeof destinationId !== 'string' || !destinationId)
			return graphError(400, 'ErrorInvalidIdMalformed', 'destinationId is required.');
		const destination = store(message.upn, destinationId);
		const copy: FakeMessage = {
			...message,
			id: `AAMk${randomBytes(18).toString('base64url')}=`,
			folder: destination.folder,
			seq: ++destination.seq,
			categories: [...message.categories],
			attachments: message.attachments.map((a) => ({
				...a,
				id: `AAMkAtt${randomBytes(12).toString('base64url')}=`,
			})),
			extendedProperties: new Map(message.extendedProperties),
		};
		destination.messages.set(copy.id, copy);
		messagesById.set(copy.id, copy);
		return json(201, messageJson(copy));
	}

	/** POST mailFolders / childFolders: a new folder; 409 ErrorFolderExists for a taken name, as Graph answers. */
	function createFolder(upn: string, parentId: string | null, raw: string): Reply {
		const read = jsonBody<{ displayName?: unknown }>(raw || '{}');
		if ('error' in read) return read.error;
		const name = read.body.displayName;
		if (typeof name !== 'string' || !name.trim())
			return graphError(400, 'ErrorInvalidParameter', 'displayName is required.');
		const taken = folderTree(upn).some(
			(f) => f.parentId === parentId && f.displayName.toLowerCase() === name.toLowerCase(),
		);
		if (taken)
			return graphError(
				409,
				'ErrorFolderExists',
				'A folder with the specified name already exists.',
			);
		const folder = {
			id: `AAMkAGFolder${randomBytes(60).toString('base64url')}`,
			displayName: name,
			parentId,
		};
		folderTree(upn).push(folder);
		return json(201, {
			id: folder.id,
			displayName: name,
			parentFolderId: parentId ?? 'msgfolderroot',
		});
	}

	/** `$expand=singleValueExtendedProperties($filter=id eq '…')`: the matching properties. */
	function withExpanded(message: FakeMessage, url: URL) {
		const body: Record<string, unknown> = messageJson(message);
		const expand = url.searchParams.get('$expand') ?? '';
		const wanted = /^singleValueExtendedProperties(?:\(\$filter=(.*)\))?$/i.exec(expand.trim());
		if (wanted) {
			// `id eq '…'`, several joined with `or` (OData string literals, '' for a quote)
			const ids = wanted[1]
				? [...wanted[1].matchAll(/id eq '((?:[^']|'')*)'/gi)].map((m) =>
						m[1].replace(/''/g, "'").toLowerCase(),
					)
				: undefined;
			body.singleValueExtendedProperties = [...message.extendedProperties]
				.filter(([key]) => ids === undefined || ids.includes(key.toLowerCase()))
				.map(([key, value]) => ({ id: key, value }));
		}
		return body;
	}

	function attachmentJson(attachment: FakeAttachment) {
		return {
			'@odata.type': `#microsoft.graph.${attachment.kind}Attachment`,
			id: attachment.id,
			name: attachment.name,
			contentType: attachment.kind === 'file' ? attachment.contentType : null,
			size: attachment.content.length + 200,
			isInline: attachment.isInline,
			contentId: null,
		};
	}

	interface SkipState {
		k: string;
		e: number;
		after: number;
		to: number;
		since?: string;
		initial: boolean;
	}

	function delta(upn: string, folder: string, url: URL, prefer: string): Reply {
		const folderStore = store(upn, folder);
		const key = folderKey(upn, folder);
		const pageSize = Math.min(
			1000,
			Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? options.defaultPageSize ?? 10),
		);
		const skip = url.searchParams.get('$skiptoken');
		const deltaToken = url.searchParams.get('$deltatoken');
		let state: SkipState;
		const expired = () => {
			const mode = folderStore.expiredMode ?? 'gone';
			const status = mode === 'gone' ? 410 : 400;
			events.push({ type: 'deltaExpired', upn, folder, status });
			return mode === 'gone'
				? graphError(
						410,
						'SyncStateNotFound',
						'The sync state generation is not found; a full sync is required.',
					)
				: graphError(
						400,
						'syncStateNotFound',
						'The sync state is not found. Please restart the sync.',
					);
		};
		if (skip) {
			const parsed = unb64<SkipState>(skip);
			if (!parsed || parsed.k !== key) return graphError(400, 'BadRequest', 'Invalid skip token');
			if (parsed.e !== folderStore.epoch) return expired();
			state = parsed;
		} else if (deltaToken) {
			const parsed = unb64<{ k: string; e: number; s: number }>(deltaToken);
			if (!parsed || parsed.k !== key) return graphError(400, 'BadRequest', 'Invalid delta token');
			if (parsed.e !== folderStore.epoch) return expired();
			state = {
				k: key,
				e: folderStore.epoch,
				after: parsed.s,
				to: folderStore.seq,
				initial: false,
			};
		} else {
			const filter = url.searchParams.get('$filter') ?? '';
			const since = /receivedDateTime ge (\S+)/i.exec(filter)?.[1];
			state = {
				k: key,
				e: folderStore.epoch,
				after: 0,
				to: folderStore.seq,
				initial: true,
				...(since ? { since } : {}),
			};
		}
		const candidates = [...folderStore.messages.values()]
			.filter((message) => message.seq > state.after && message.seq <= state.to)
			.filter((message) => !(state.initial && message.removed))
			.filter(
				(message) =>
					!state.since || Date.parse(message.receivedDateTime) >= Date.parse(state.since),
			)
			.sort((a, b) => a.seq - b.seq);
		const page = candidates.slice(0, pageSize);
		const more = candidates.length > pageSize;
		const value = page.map((message) =>
			message.removed
				? {
						'@odata.type': '#microsoft.graph.message',
						id: message.id,
						'@removed': { reason: 'deleted' },
					}
				: messageJson(message),
		);
		const path = `${base}/v1.0/users/${encodeURIComponent(upn)}/mailFolders/${encodeURIComponent(folder)}/messages/delta`;
		const body: Record<string, unknown> = {
			'@odata.context': `${base}/v1.0/$metadata#Collection(message)`,
			value,
		};
		if (more)
			body['@odata.nextLink'] =
				`${path}?$skiptoken=${b64({ ...state, after: page[page.length - 1].seq })}`;
		else
			body['@odata.deltaLink'] =
				`${path}?$deltatoken=${b64({ k: key, e: folderStore.epoch, s: state.to })}`;
		return json(200, body);
	}

	async function createSubscriptionReply(raw: string): Promise<Reply> {
		const read = jsonBody<Partial<FakeSubscription> & { expirationDateTime?: string }>(raw);
		if ('error' in read) return read.error;
		const { body } = read;
		const fail = (message: string) => {
			events.push({ type: 'createFailed', reason: message });
			return graphError(400, 'InvalidRequest', message);
		};
		if (body.changeType !== 'created')
			return fail(`changeType '${body.changeType}' is not supported by this fake (only 'created')`);
		if (!body.notificationUrl) return fail('notificationUrl is required');
		if (body.clientState && body.clientState.length > 128)
			return fail('clientState must be at most 128 characters');
		const expiry = Date.parse(body.expirationDateTime ?? '');
		if (!Number.isFinite(expiry) || expiry <= Date.now())
			return fail('expirationDateTime must be in the future');
		if (expiry > Date.now() + MAX_SUBSCRIPTION_MINUTES * 60_000) {
			return fail(
				`Subscription expiration can only be ${MAX_SUBSCRIPTION_MINUTES} minutes in the future.`,
			);
		}
		// Only the documented form, `users/{id or upn}/mailFolders('{id}')/messages`: the UPN as it
		// is (a percent-encoded `%40` names no user in a resource path), the folder an OData string
		// literal ('' for a quote).
		const resource = /^\/?users\/([^/%'()]+)\/mailFolders\('((?:[^']|'')+)'\)\/messages$/i.exec(
			body.resource ?? '',
		);
		if (!resource)
			return fail(
				`Resource '${body.resource}' is not supported: use users/{id or userPrincipalName}/mailFolders('{id}')/messages`,
			);
		for (const url of new Set(
			[body.notificationUrl, body.lifecycleNotificationUrl].filter((u): u is string => !!u),
		)) {
			const reason = await validate(url);
			if (reason)
				return fail(
					`Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request (${reason}).`,
				);
		}
		const sub: FakeSubscription = {
			id: randomUUID(),
			resource: body.resource!,
			upn: resource[1],
			folder: resource[2].replace(/''/g, "'"),
			changeType: body.changeType,
			notificationUrl: body.notificationUrl,
			...(body.lifecycleNotificationUrl
				? { lifecycleNotificationUrl: body.lifecycleNotificationUrl }
				: {}),
			...(body.clientState ? { clientState: body.clientState } : {}),
			expirationDateTime: new Date(expiry).toISOString(),
		};
		subscriptions.set(sub.id, sub);
		events.push({
			type: 'created',
			id: sub.id,
			resource: sub.resource,
			expirationDateTime: sub.expirationDateTime,
		});
		return json(201, {
			'@odata.context': `${base}/v1.0/$metadata#subscriptions/$entity`,
			...sub,
			clientState: sub.clientState,
		});
	}

	/**
	 * A folder's child folders (the top of the mailbox for null), with the one `$filter` Graph
	 * users need here: `displayName eq '…'` (an OData string, '' for a quote; case-insensitive).
	 */
	function listFolders(upn: string, parentId: string | null, url: URL): Reply {
		let listed = folderTree(upn).filter((f) => f.parentId === parentId);
		const filter = url.searchParams.get('$filter');
		if (filter !== null) {
			const eq = /^displayName eq '((?:[^']|'')*)'$/.exec(filter.trim());
			if (!eq)
				return graphError(
					400,
					'ErrorInvalidUrlQueryFilter',
					`The filter '${filter}' is not supported.`,
				);
			const name = eq[1].replace(/''/g, "'").toLowerCase();
			listed = listed.filter((f) => f.displayName.toLowerCase() === name);
		}
		const top = Number(url.searchParams.get('$top') ?? 10);
		return json(200, {
			value: listed.slice(0, top).map((f) => ({
				id: f.id,
				displayName: f.displayName,
				parentFolderId: f.parentId ?? 'msgfolderroot',
			})),
		});
	}

	function liveSubscription(id: string): FakeSubscription | undefined {
		const sub = subscriptions.get(id);
		if (sub && Date.parse(sub.expirationDateTime) <= Date.now()) {
			subscriptions.delete(id);
			return undefined;
		}
		return sub;
	}

	async function route(req: http.IncomingMessage, url: URL, raw: string): Promise<Reply> {
		const path = url.pathname;
		const method = req.method ?? 'GET';
		if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
			const tenant = decodeURIComponent(path.split('/')[1]);
			if (tenant !== tenantId)
				return entraError(
					400,
					'invalid_request',
					90002,
					`Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
				);
			return tokenEndpoint(new URLSearchParams(raw));
		}
		if (!path.startsWith('/v1.0/')) return graphError(404, 'NotFound', `No route ${path}`);
		const auth = req.headers.authorization ?? '';
		if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
			return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
		}
		if (!/IdType="ImmutableId"/.test(String(req.headers.prefer ?? ''))) fake.missingImmutableId++;

		let m: RegExpExecArray | null;
		if ((m = /^\/v1\.0\/subscriptions\/?$/.exec(path)) && method === 'POST')
			return createSubscriptionReply(raw);
		if ((m = /^\/v1\.0\/subscriptions\/([^/]+)$/.exec(path))) {
			const id = decodeURIComponent(m[1]);
			const sub = liveSubscription(id);
			if (method === 'GET')
				return sub
					? json(200, sub)
					: graphError(404, 'ResourceNotFound', 'The object was not found.');
			if (method === 'DELETE') {
				events.push({ type: 'deleted', id, found: !!sub });
				if (!sub) return graphError(404, 'ResourceNotFound', 'The object was not found.');
				subscriptions.delete(id);
				return { status: 204 };
			}
			if (method === 'PATCH') {
				if (!sub) return graphError(404, 'ResourceNotFound', 'The object was not found.');
				const expiry = Date.parse(
					(JSON.parse(raw || '{}') as { expirationDateTime?: string }).expirationDateTime ?? '',
				);
				if (!Number.isFinite(expiry) || expiry > Date.now() + MAX_SUBSCRIPTION_MINUTES * 60_000) {
					return graphError(
						400,
						'InvalidRequest',
						`Subscription expiration can only be ${MAX_SUBSCRIPTION_MINUTES} minutes in the future.`,
					);
				}
				sub.expirationDateTime = new Date(expiry).toISOString();
				events.push({ type: 'renewed', id, expirationDateTime: sub.expirationDateTime });
				return json(200, sub);
			}
		}
		if ((m = /^\/v1\.0\/users\/([^/]+)\/mailFolders\/?$/i.exec(path)) && method === 'GET')
			return listFolders(decodeURIComponent(m[1]), null, url);
		if ((m = /^\/v1\.0\/users\/([^/]+)\/mailFolders\/?$/i.exec(path)) && method === 'POST')
			return createFolder(decodeURIComponent(m[1]), null, raw);
		if (
			(m = /^\/v1\.0\/users\/([^/]+)\/mailFolders\/([^/]+)\/childFolders$/i.exec(path)) &&
			method === 'POST'
		) {
			const upn = decodeURIComponent(m[1]);
			const parent = folderById(upn, decodeURIComponent(m[2]));
			if (!parent)
				return graphError(
					404,
					'ErrorItemNotFound',
					'The specified object was not found in the store.',
				);
			return createFolder(upn, parent.id, raw);
		}
		if (
			(m = /^\/v1\.0\/users\/([^/]+)\/mailFolders\/([^/]+)\/childFolders$/i.exec(path)) &&
			method === 'GET'
		) {
			const upn = decodeURIComponent(m[1]);
			const parent = folderById(upn, decodeURIComponent(m[2]));
			if (!parent)
				return graphError(
					404,
					'ErrorItemNotFound',
					'The specified object was not found in the store.',
				);
			return listFolders(upn, parent.id, url);
		}
		if (
			(m = /^\/v1\.0\/users\/([^/]+)\/mailFolders\/([^/]+)\/messages\/delta$/i.exec(path)) &&
			method === 'GET'
		) {
			return delta(
				decodeURIComponent(m[1]),
				decodeURIComponent(m[2]),
				url,
				String(req.headers.prefer ?? ''),
			);
		}
		if (
			(m = /^\/v1\.0\/users\/([^/]+)\/mailFolders\/([^/]+)\/messages$/i.exec(path)) &&
			method === 'GET'
		) {
			// A folder's messages, newest first (`$orderby=receivedDateTime desc`, `$top`): what a
			// trigger's Fetch Test Event reads. No paging: the fake serves small folders.
			const listed = [
				...store(decodeURIComponent(m[1]), decodeURIComponent(m[2])).messages.values(),
			]
				.filter((message) => !message.removed)
				.sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime) || b.seq - a.seq)
				.slice(0, Number(url.searchParams.get('$top') ?? 10));
			return json(200, { value: listed.map(messageJson) });
		}
		if ((m = /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)(\/.*)?$/i.exec(path))) {
			const message = messagesById.get(decodeURIComponent(m[2]));
			if (
				!message ||
				message.removed ||
				message.upn.toLowerCase() !== decodeURIComponent(m[1]).toLowerCase()
			) {
				return graphError(
					404,
					'ErrorItemNotFound',
					'The specified object was not found in the store.',
				);
			}
			const rest = m[3] ?? '';
			if (rest === '' && method === 'GET') return json(200, withExpanded(message, url));
			if (rest === '' && method === 'PATCH') return updateMessage(message, raw);
			if (rest === '/move' && method === 'POST')
				return moveMessage(message, raw, String(req.headers.prefer ?? ''));
			if (rest === '/copy' && method === 'POST') return copyMessage(message, raw);
			if (rest === '/$value' && method === 'GET') {
				return {
					status: 200,
					raw: Buffer.from(
						`Subject: ${message.subject}\r\nFrom: ${message.from}\r\nMessage-ID: ${message.internetMessageId}\r\n\r\n${message.body}\r\n`,
					),
					contentType: 'message/rfc822',
				};
			}
			if (rest === '/attachments' && method === 'GET')
				return json(200, { value: message.attachments.map(attachmentJson) });
			const att = /^\/attachments\/([^/]+)(\/\$value)?$/.exec(rest);
			if (att) {
				const attachment = message.attachments.find((a) => a.id === decodeURIComponent(att[1]));
				if (!attachment)
					return graphError(404, 'ErrorItemNotFound', 'The attachment was not found.');
				if (att[2] && method === 'GET') {
					if (attachment.kind === 'reference')
						return graphError(400, 'ErrorInvalidRequest', 'Reference attachments have no $value.');
					return {
						status: 200,
						raw: attachment.content,
						contentType: attachment.kind === 'item' ? 'message/rfc822' : attachment.contentType,
					};
				}
				if (!att[2] && method === 'GET') return json(200, attachmentJson(attachment));
				if (!att[2] && method === 'DELETE') {
					message.attachments = message.attachments.filter((a) => a !== attachment);
					touch(message);
					return { status: 204 };
				}
			}
		}
		return graphError(404, 'NotFound', `No route ${method} ${path}`);
	}

	/** The throttle decision for the n-th request of a mailbox: seeded, independent of timing. */
	function throttledByStorm(mailbox: string): boolean {
		const n = (requestCounts.get(mailbox) ?? 0) + 1;
		requestCounts.set(mailbox, n);
		if (throttle.rate <= 0 || throttledSoFar >= throttle.budget) return false;
		const digest = createHash('sha256').update(`${seed}|${mailbox}|${n}`).digest();
		return digest.readUInt32BE(0) / 2 ** 32 < throttle.rate;
	}

	function takeFault(method: string, path: string): FakeFault | undefined {
		const index = faults.findIndex(
			(fault) => (!fault.method || fault.method === method) && fault.path.test(path),
		);
		if (index < 0) return undefined;
		const fault = faults[index];
		if (--fault.left <= 0) faults.splice(index, 1);
		return fault;
	}

	const server = https.createServer(
		{ key: tls.keyPem, cert: tls.certPem, keepAlive: true },
		(req, res) => {
			const arrivedAt = performance.now();
			void (async () => {
				const url = new URL(req.url ?? '/', base);
				const mailbox = mailboxOf(url.pathname);
				const isGraph = url.pathname.startsWith('/v1.0/');
				const method = req.method ?? 'GET';
				// Still inside a Retry-After this fake sent for the mailbox: a client that honours it
				// per mailbox never gets here. Recorded, and answered as Graph would: 429 again.
				const window = mailbox ? throttledUntil.get(mailbox) : undefined;
				const windowEnd = window?.end ?? 0;
				const early =
					isGraph &&
					window !== undefined &&
					arrivedAt < window.end &&
					(window.sockets.has(req.socket) ||
						arrivedAt >= window.start + WINDOW_DELIVERY_ALLOWANCE_MS + lag.maxSince(window.start));
				const enforce = early && throttle.enforceWindows !== false;
				if (early)
					violations.push({
						mailbox: mailbox!,
						method,
						path: url.pathname,
						earlyByMs: windowEnd - arrivedAt,
					});
				if (mailbox) {
					// In flight until the answer's last byte has gone (or the connection died): Graph
					// counts a request against MailboxConcurrency until its body is read.
					const now = (inFlight.get(mailbox) ?? 0) + 1;
					inFlight.set(mailbox, now);
					maxInFlight.set(mailbox, Math.max(maxInFlight.get(mailbox) ?? 0, now));
					res.once('close', () => inFlight.set(mailbox, (inFlight.get(mailbox) ?? 1) - 1));
				}
				const raw = await readBody(req);
				const fault = takeFault(method, url.pathname);
				if (fault?.stall) {
					stalled.add(res);
					res.once('close', () => stalled.delete(res));
					return;
				}
				let reply: Reply;
				try {
					if (latencyMs > 0 && isGraph) await sleep(latencyMs);
					if (fault) {
						reply = graphError(fault.status, 'InjectedFault', 'An answer forced by the test.');
					} else if (enforce) {
						reply = graphError(429, 'TooManyRequests', 'Retry-After was not honoured.', {
							'Retry-After': String(Math.ceil((windowEnd - performance.now()) / 1000)),
						});
					} else if (isGraph && mailbox && (inFlight.get(mailbox) ?? 0) > mailboxConcurrency) {
						reply = graphError(
							429,
							'ApplicationThrottled',
							'Application is over its MailboxConcurrency limit.',
							{ 'Retry-After': '1' },
						);
					} else if (isGraph && mailbox && throttledByStorm(mailbox)) {
						throttledSoFar++;
						reply = graphError(
							throttle.status,
							throttle.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
							'Please retry after the time given in Retry-After.',
							{
								'Retry-After': String(throttle.retryAfterSeconds),
							},
						);
					} else {
						reply = await route(req, url, raw);
					}
				} catch (error) {
					reply = graphError(500, 'InternalServerError', (error as Error).message);
				}
				const retryAfter = reply.headers?.['Retry-After'];
				requests.push({
					arrivedAt,
					t: performance.now(),
					method,
					path: `${url.pathname}${url.search}`,
					...(mailbox ? { mailbox } : {}),
					status: reply.status,
					...(retryAfter ? { retryAfterMs: Number(retryAfter) * 1000 } : {}),
					prefer: String(req.headers.prefer ?? ''),
					...(req.headers['client-request-id']
						? { clientRequestId: String(req.headers['client-request-id']) }
						: {}),
					...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
				});
				const headers: Record<string, string> = {
					'request-id': randomUUID(),
					...(reply.headers ?? {}),
				};
				if (reply.raw) {
					res.writeHead(reply.status, {
						...headers,
						'content-type': reply.contentType ?? 'application/octet-stream',
						'content-length': String(reply.raw.length),
					});
					res.end(reply.raw);
				} else if (reply.body !== undefined) {
					const text = JSON.stringify(reply.body);
					res.writeHead(reply.status, {
						...headers,
						'content-type': 'application/json; odata.metadata=minimal',
						'content-length': String(Buffer.byteLength(text)),
					});
					res.end(text);
				} else {
					res.writeHead(reply.status, headers);
					res.end();
				}
				// The window opens when the answer has been sent, as the client sees it.
				if (mailbox && retryAfter && (reply.status === 429 || reply.status === 503)) {
					const start = performance.now();
					const end = start + Number(retryAfter) * 1000;
					const open = throttledUntil.get(mailbox);
					// A 429 inside an open window extends it; its start (and allowance) stays.
					if (!open || open.end < start)
						throttledUntil.set(mailbox, { start, end, sockets: new WeakSet([req.socket]) });
					else {
						open.end = Math.max(open.end, end);
						open.sockets.add(req.socket);
					}
				}
			})();
		},
	);
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	base = `https://127.0.0.1:${port}`;
	fake.url = base;
	fake.port = port;
	fake.authorityHost = `127.0.0.1:${port}`;
	return fake;
}
