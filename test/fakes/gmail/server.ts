import { createSign, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Gmail API and Google's token endpoint, close enough to the real services
 * for the trigger's exactly-once logic to be tested honestly (shapes: /work/shared/apis/gmail):
 * - messages with labels and increasing ids; `messages.list` (newest first, `labelIds` ANDed,
 *   `q` with `after:`/`before:` epoch seconds, pages); `messages.get?format=raw` (base64url,
 *   Gmail's member order: raw before historyId and internalDate), `format=metadata`
 *   (`metadataHeaders`, values unfolded, not decoded) and `format=minimal`; `messages.insert` as
 *   JSON (`raw`) or as a multipart/media upload (`/upload/gmail/v1/…?uploadType=multipart`),
 *   with `internalDateSource=dateHeader`; `modify`, `trash`; `users.getProfile`;
 * - labels: `labels.list` (system labels and user labels `Label_n`), `labels.create` (409 for a
 *   name in use, compared without case); insert and modify refuse unknown label ids (400), as
 *   Gmail does; a label id a test seeds a message with is known from then on;
 * - `q` terms `rfc822msgid:` (the Message-ID header, brackets optional) besides `after:`/`before:`;
 * - history with increasing ids, `history.list?startHistoryId&historyTypes=messageAdded&labelId`
 *   (records strictly after the id, paged), and expiry: an id older than the kept history is 404;
 * - `users.watch` / `users.stop`, and pushes as Pub/Sub delivers them (`deliverPush`: the body
 *   and an OIDC token signed with a key of the fake's JWKS);
 * - an OAuth token endpoint: the refresh grant (client id/secret + refresh token, which can be
 *   revoked) and the JWT bearer grant (RS256 assertion checked against the service account's
 *   public key, audience, expiry); API calls need a bearer token it issued, for that user;
 * - faults: any status (429 with Retry-After, 403 `rateLimitExceeded`, 500) for matching requests;
 * - a hook run before each answer (mail arriving during a poll).
 * Plain http on loopback (the client allows http for loopback only).
 */
export interface FakeMessageInput {
	raw: Buffer | string;
	labelIds?: string[];
	/** Milliseconds since the epoch; default now (Gmail's receipt time). */
	internalDate?: number;
	threadId?: string;
}

export interface FakeMessage {
	id: string;
	threadId: string;
	labelIds: string[];
	raw: Buffer;
	internalDate: number;
	historyId: string;
}

interface HistoryRecord {
	id: bigint;
	added?: { id: string; threadId: string; labelIds: string[] };
}

export interface Fault {
	method?: string;
	path: RegExp;
	status: number;
	/** Google error reason (`rateLimitExceeded`, `notFound`). */
	reason?: string;
	retryAfter?: string;
	times?: number;
}

export interface FakeLabel {
	id: string;
	name: string;
	type: 'system' | 'user';
	labelListVisibility?: string;
	messageListVisibility?: string;
}

export interface FakeGmailOptions {
	address?: string;
	/** Access token lifetime in seconds (default 3600). */
	tokenLifetimeS?: number;
	/** Loopback port to listen on (default: a free one). The demo uses fixed ports. */
	port?: number;
}

export interface FakeGmail {
	apiBaseUrl: string;
	tokenUrl: string;
	address: string;
	addMessage(input: FakeMessageInput): FakeMessage;
	addMessages(inputs: FakeMessageInput[]): FakeMessage[];
	message(id: string): FakeMessage | undefined;
	/** Every message, trashed ones included. */
	allMessages(): FakeMessage[];
	/** The mailbox's labels, system and user. */
	labels(): FakeLabel[];
	/** The label of that name (without regard to case), if any. */
	labelByName(name: string): FakeLabel | undefined;
	deleteMessage(id: string): void;
	/** History ids at or before the current one can no longer be read (404), as after a week. */
	expireHistory(): void;
	currentHistoryId(): string;
	fault(fault: Fault): void;
	clearFaults(): void;
	/** Runs before the fake answers each API request (not token requests). */
	beforeAnswer(hook: ((method: string, path: string) => void) | undefined): void;
	/** API requests that arrive from now on are answered once `until` has settled. */
	holdAnswers(until: Promise<unknown>): void;
	/** API requests (method + path, no query) in order; token requests are in `tokenRequests`. */
	requests: Array<{ method: string; path: string; query: string }>;
	tokenRequests: Array<{ grant: string }>;
	/** An authorized-user token JSON (token_uri: this fake) for the fake's client. */
	tokenJson(): string;
	/** The pack's Google credential (emailIntelGoogleApi) pointed at this fake, as token JSON. */
	credentialData(): {
		authMethod: 'tokenJson';
		googleTokenJson: string;
		apiBaseUrl: string;
		tokenUrl: '';
	};
	/** A service account key (JSON) the fake trusts, for acting as `address`. */
	serviceAccountKey(): string;
	revokeRefreshToken(): void;
	/** Every issued access token stops working (as if they expired early). */
	expireAccessTokens(): void;
	watches: Array<{ topicName: string; labelIds?: string[] }>;
	stops: number;
	/** Google's JWKS as the fake serves it (the push tokens' keys). */
	jwksUrl: string;
	/** An OIDC token as Pub/Sub signs it for a push subscription; override claims to forge one. */
	pushToken(
		claims: { aud: string } & Record<string, unknown>,
		options?: { alg?: string; foreignKey?: boolean },
	): string;
	/** A Pub/Sub push body announcing the mailbox's current history id. */
	pushBody(): {
		message: { data: string; messageId: string; publishTime: string };
		subscription: string;
	};
	/**
	 * Delivers a push to `url` as Pub/Sub does: a POST of `pushBody()` with an OIDC bearer token
	 * for `audience` (default: the URL itself, Pub/Sub's default). `token` replaces the token (a
	 * forged one). Resolves to the HTTP status the endpoint answered.
	 */
	deliverPush(url: string, options?: { audience?: string; token?: string }): Promise<number>;
	close(): Promise<void>;
}

const CLIENT_ID = 'fake-client.apps.googleusercontent.com';
const CLIENT_SECRET = 'fake-client-secret';

export async function startFakeGmail(options: FakeGmailOptions = {}): Promise<FakeGmail> {
	const address = options.address ?? 'soc@example.com';
	const lifetime = options.tokenLifetimeS ?? 3600;
	const messages = new Map<string, FakeMessage>();
	const history: HistoryRecord[] = [];
	let historyCounter = 100_000n;
	let expiredUpTo = 0n;
	let idCounter = 0x18c0000000000000n;
	let refreshToken = `1//fake-refresh-${randomBytes(8).toString('hex')}`;
	const tokens = new Map<string, { user: string; expiresAt: number }>();
	let faults: Array<Fault & { left: number }> = [];
	let hook: ((method: string, path: string) => void) | undefined;
	const requests: FakeGmail['requests'] = [];
	const tokenRequests: FakeGmail['tokenRequests'] = [];
	const watches: FakeGmail['watches'] = [];
	const { serviceAccount, pushKey, foreignKey } = keys();
	const serviceEmail = 'mail-intel@fake-project.iam.gserviceaccount.com';
	let pushCounter = 0;

	const labels = new Map<string, FakeLabel>(
		SYSTEM_LABELS.map((id) => [id, { id, name: id, type: 'system' as const }]),
	);
	let labelCounter = 0;
	const nextHistory = () => ++historyCounter;
	const addMessage = (input: FakeMessageInput): FakeMessage => {
		for (const label of input.labelIds ?? [])
			if (!labels.has(label)) labels.set(label, { id: label, name: label, type: 'user' });
		const id = (++idCounter).toString(16);
		const record: HistoryRecord = { id: nextHistory() };
		const message: FakeMessage = {
			id,
			threadId: input.threadId ?? id,
			labelIds: [...(input.labelIds ?? ['INBOX', 'UNREAD'])],
			raw: Buffer.isBuffer(input.raw) ? input.raw : Buffer.from(input.raw),
			internalDate: input.internalDate ?? Date.now(),
			historyId: record.id.toString(),
		};
		record.added = { id, threadId: message.threadId, labelIds: [...message.labelIds] };
		messages.set(id, message);
		history.push(record);
		return message;
	};

	let held: Promise<unknown> = Promise.resolve();
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			// Only API calls are held: token and key requests stay answered (a push being
			// verified may need them).
			const gate = req.url?.includes('/gmail/v1/') ? held : Promise.resolve();
			void gate.then(() => {
				try {
					handle(req, res, Buffer.concat(chunks));
				} catch (error) {
					send(res, 500, { error: { code: 500, message: String(error) } });
				}
			});
		});
	});

	function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
		const url = new URL(req.url ?? '/', 'http://fake');
		const method = req.method ?? 'GET';
		if (url.pathname === '/token' && method === 'POST') return token(res, body);
		if (url.pathname === '/oauth2/v3/certs' && method === 'GET')
			return send(res, 200, {
				keys: [
					{
						...pushKey.publicKey.export({ format: 'jwk' }),
						kid: 'push-1',
						alg: 'RS256',
						use: 'sig',
					},
				],
			});
		const match = /^(\/upload)?\/gmail\/v1\/users\/([^/]+)\/(.+)$/.exec(url.pathname);
		if (!match) return send(res, 404, googleError(404, 'notFound', 'Not Found'));
		const upload = match[1] !== undefined;
		const path = match[3];
		requests.push({ method, path, query: url.search });
		const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
		const issued = auth ? tokens.get(auth[1]) : undefined;
		if (!issued || issued.expiresAt < Date.now())
			return send(res, 401, googleError(401, 'authError', 'Invalid Credentials'));
		const user = decodeURIComponent(match[2]);
		if (user !== 'me' && user.toLowerCase() !== issued.user.toLowerCase())
			return send(res, 403, googleError(403, 'forbidden', 'Delegation denied'));
		const fault = faults.find(
			(candidate) =>
				candidate.left > 0 &&
				candidate.path.test(path) &&
				(!candidate.method || candidate.method === method),
		);
		if (fault) {
			fault.left--;
			if (fault.retryAfter) res.setHeader('retry-after', fault.retryAfter);
			return send(
				res,
				fault.status,
				googleError(fault.status, fault.reason ?? 'backendError', 'fault'),
			);
		}
		hook?.(method, path);
		const query = url.searchParams;
		if (path === 'profile' && method === 'GET')
			return send(res, 200, {
				emailAddress: address,
				messagesTotal: messages.size,
				threadsTotal: messages.size,
				historyId: historyCounter.toString(),
			});
		if (path === 'messages' && method === 'GET') return list(res, query);
		if (path === 'messages' && method === 'POST') {
			const input = upload
				? uploaded(req.headers['content-type'] ?? '', query.get('uploadType'), body)
				: (JSON.parse(body.toString('utf8')) as {
						raw?: string;
						labelIds?: string[];
						threadId?: string;
					});
			if (typeof input === 'string')
				return send(res, 400, googleError(400, 'invalidArgument', input));
			const raw = Buffer.isBuffer(input.raw)
				? input.raw
				: Buffer.from(input.raw ?? '', 'base64url');
			if (raw.length === 0)
				return send(
					res,
					400,
					googleError(
						400,
						'invalidArgument',
						"'raw' RFC822 payload message string or uploading message via /upload/* URL required",
					),
				);
			const unknown = unknownLabel(input.labelIds ?? []);
			if (unknown)
				return send(res, 400, googleError(400, 'invalidArgument', `Invalid label: ${unknown}`));
			const dated =
				query.get('internalDateSource') === 'dateHeader'
					? Date.parse(headerOf(raw, 'date') ?? '')
					: NaN;
			const added = addMessage({
				raw,
				labelIds: input.labelIds ?? [],
				...(input.threadId ? { threadId: input.threadId } : {}),
				...(Number.isFinite(dated) ? { internalDate: dated } : {}),
			});
			return send(res, 200, { id: added.id, threadId: added.threadId, labelIds: added.labelIds });
		}
		if (path === 'labels' && method === 'GET')
			return send(res, 200, { labels: [...labels.values()] });
		if (path === 'labels' && method === 'POST') {
			const input = JSON.parse(body.toString('utf8') || '{}') as Partial<FakeLabel>;
			const name = (input.name ?? '').trim();
			if (!name) return send(res, 400, googleError(400, 'invalidArgument', 'Invalid label name'));
			if (labelByName(name))
				return send(res, 409, googleError(409, 'alreadyExists', 'Label name exists or conflicts'));
			const label: FakeLabel = {
				id: `Label_${++labelCounter}`,
				name,
				type: 'user',
				labelListVisibility: input.labelListVisibility ?? 'labelShow',
				messageListVisibility: input.messageListVisibility ?? 'show',
			};
			labels.set(label.id, label);
			return send(res, 200, label);
		}
		if (path === 'history' && method === 'GET') return historyList(res, query);
		if (path === 'watch' && method === 'POST') {
			watches.push(JSON.parse(body.toString('utf8')));
			return send(res, 200, {
				historyId: historyCounter.toString(),
				expiration: String(Date.now() + 7 * 86_400_000),
			});
		}
		if (path === 'stop' && method === 'POST') {
			fake.stops++;
			res.writeHead(204).end();
			return;
		}
		const one = /^messages\/([^/]+)(?:\/(modify|trash))?$/.exec(path);
		if (one) {
			const message = messages.get(decodeURIComponent(one[1]));
			if (!message)
				return send(res, 404, googleError(404, 'notFound', 'Requested entity was not found.'));
			if (
				!one[2] &&
				method === 'GET' &&
				['metadata', 'minimal'].includes(query.get('format') ?? '')
			) {
				const wanted = query.getAll('metadataHeaders').map((name) => name.toLowerCase());
				return send(res, 200, {
					id: message.id,
					threadId: message.threadId,
					labelIds: message.labelIds,
					historyId: message.historyId,
					internalDate: String(message.internalDate),
					sizeEstimate: message.raw.length,
					...(query.get('format') === 'metadata'
						? {
								payload: {
									headers: headerLines(message.raw).filter(
										(header) => wanted.length === 0 || wanted.includes(header.name.toLowerCase()),
									),
								},
							}
						: {}),
				});
			}
			if (!one[2] && method === 'GET') {
				if (query.get('format') !== 'raw')
					return send(
						res,
						400,
						googleError(400, 'invalidArgument', 'the fake serves format=raw only'),
					);
				// Gmail's member order: raw comes before historyId and internalDate.
				res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
				res.end(
					`{"id":"${message.id}","threadId":"${message.threadId}","labelIds":${JSON.stringify(message.labelIds)},` +
						`"snippet":"\\"raw\\":\\"not this","sizeEstimate":${message.raw.length},"raw":"${message.raw.toString('base64url')}",` +
						`"historyId":"${message.historyId}","internalDate":"${message.internalDate}"}`,
				);
				return;
			}
			if (method === 'POST' && one[2] === 'modify') {
				const change = JSON.parse(body.toString('utf8') || '{}') as {
					addLabelIds?: string[];
					removeLabelIds?: string[];
				};
				const unknown = unknownLabel([
					...(change.addLabelIds ?? []),
					...(change.removeLabelIds ?? []),
				]);
				if (unknown)
					return send(res, 400, googleError(400, 'invalidArgument', `Invalid label: ${unknown}`));
				const now = new Set(message.labelIds);
				for (const label of change.addLabelIds ?? []) now.add(label);
				for (const label of change.removeLabelIds ?? []) now.delete(label);
				message.labelIds = [...now];
				history.push({ id: nextHistory() });
				return send(res, 200, {
					id: message.id,
					threadId: message.threadId,
					labelIds: message.labelIds,
				});
			}
			if (method === 'POST' && one[2] === 'trash') {
				message.labelIds = [...message.labelIds.filter((label) => label !== 'INBOX'), 'TRASH'];
				history.push({ id: nextHistory() });
				return send(res, 200, {
					id: message.id,
					threadId: message.threadId,
					labelIds: message.labelIds,
				});
			}
		}
		send(res, 404, googleError(404, 'notFound', `no route ${method} ${path}`));
	}

	function list(res: http.ServerResponse, query: URLSearchParams) {
		const labels = query.getAll('labelIds');
		const terms = (query.get('q') ?? '').split(/\s+/).filter(Boolean);
		const msgid = terms.find((term) => term.startsWith('rfc822msgid:'));
		const wantedId = msgid?.slice('rfc822msgid:'.length).replace(/^<|>$/g, '').toLowerCase();
		const after = terms.find((term) => term.startsWith('after:'));
		const before = terms.find((term) => term.startsWith('before:'));
		const withSpam = query.get('includeSpamTrash') === 'true';
		const all = [...messages.values()]
			.filter((message) => labels.every((label) => message.labelIds.includes(label)))
			.filter(
				(message) =>
					withSpam || !message.labelIds.some((label) => label === 'SPAM' || label === 'TRASH'),
			)
			.filter(
				(message) =>
					wantedId === undefined ||
					(headerOf(message.raw, 'message-id') ?? '').trim().replace(/^<|>$/g, '').toLowerCase() ===
						wantedId,
			)
			.filter((message) => !after || message.internalDate > Number(after.slice(6)) * 1000)
			.filter((message) => !before || message.internalDate < Number(before.slice(7)) * 1000)
			.sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));
		const size = Math.min(500, Number(query.get('maxResults') ?? 100));
		const start = Number(query.get('pageToken') ?? 0);
		const page = all.slice(start, start + size);
		send(res, 200, {
			...(page.length > 0 ? { messages: page.map(({ id, threadId }) => ({ id, threadId })) } : {}),
			...(start + size < all.length ? { nextPageToken: String(start + size) } : {}),
			resultSizeEstimate: all.length,
		});
	}

	function labelByName(name: string): FakeLabel | undefined {
		return [...labels.values()].find((label) => label.name.toLowerCase() === name.toLowerCase());
	}

	function unknownLabel(ids: string[]): string | undefined {
		return ids.find((id) => !labels.has(id));
	}

	function historyList(res: http.ServerResponse, query: URLSearchParams) {
		const startText = query.get('startHistoryId');
		if (!startText || !/^\d+$/.test(startText))
			return send(res, 400, googleError(400, 'invalidArgument', 'startHistoryId required'));
		const start = BigInt(startText);
		if (start <= expiredUpTo)
			return send(res, 404, googleError(404, 'notFound', 'Requested entity was not found.'));
		const label = query.get('labelId');
		const types = query.getAll('historyTypes');
		const matching = history
			.filter((record) => record.id > start)
			.filter((record) => types.length === 0 || !types.includes('messageAdded') || record.added)
			.filter((record) => !label || (record.added?.labelIds.includes(label) ?? false));
		const size = Math.min(500, Number(query.get('maxResults') ?? 100));
		const offset = Number(query.get('pageToken') ?? 0);
		const page = matching.slice(offset, offset + size);
		send(res, 200, {
			...(page.length > 0
				? {
						history: page.map((record) => ({
							id: record.id.toString(),
							messages: record.added
								? [{ id: record.added.id, threadId: record.added.threadId }]
								: [],
							...(record.added ? { messagesAdded: [{ message: record.added }] } : {}),
						})),
					}
				: {}),
			...(offset + size < matching.length ? { nextPageToken: String(offset + size) } : {}),
			historyId: historyCounter.toString(),
		});
	}

	function token(res: http.ServerResponse, body: Buffer) {
		const form = new URLSearchParams(body.toString('utf8'));
		const grant = form.get('grant_type') ?? '';
		tokenRequests.push({ grant });
		const issue = (user: string) => {
			const accessToken = `ya29.fake-${randomBytes(12).toString('hex')}`;
			tokens.set(accessToken, { user, expiresAt: Date.now() + lifetime * 1000 });
			send(res, 200, { access_token: accessToken, expires_in: lifetime, token_type: 'Bearer' });
		};
		if (grant === 'refresh_token') {
			if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET)
				return send(res, 401, { error: 'invalid_client', error_description: 'Unauthorized' });
			if (form.get('refresh_token') !== refreshToken)
				return send(res, 400, {
					error: 'invalid_grant',
					error_description: 'Token has been expired or revoked.',
				});
			return issue(address);
		}
		if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
			const claims = checkAssertion(form.get('assertion') ?? '');
			if (typeof claims === 'string')
				return send(res, 400, { error: 'invalid_grant', error_description: claims });
			return issue(claims.sub);
		}
		send(res, 400, { error: 'unsupported_grant_type' });
	}

	function checkAssertion(assertion: string): { sub: string } | string {
		const [header, payload, signature] = assertion.split('.');
		if (!header || !payload || !signature) return 'Invalid JWT';
		const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
		if (head.alg !== 'RS256') return 'Invalid JWT: alg';
		const valid = verify(
			'RSA-SHA256',
			Buffer.from(`${header}.${payload}`),
			serviceAccount.publicKey,
			Buffer.from(signature, 'base64url'),
		);
		if (!valid) return 'Invalid JWT Signature.';
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
			iss?: string;
			sub?: string;
			aud?: string;
			exp?: number;
			iat?: number;
			scope?: string;
		};
		const now = Date.now() / 1000;
		if (claims.iss !== serviceEmail) return 'Invalid issuer';
		if (claims.aud !== fake.tokenUrl) return 'Invalid JWT: audience';
		if (!claims.exp || claims.exp < now || !claims.iat || claims.exp - claims.iat > 3600)
			return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
		if (!claims.scope?.split(' ').includes('https://www.googleapis.com/auth/gmail.modify'))
			return 'unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.';
		if (claims.sub?.toLowerCase() !== address.toLowerCase()) return 'Invalid email or User ID';
		return { sub: claims.sub };
	}

	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const fake: FakeGmail = {
		apiBaseUrl: base,
		tokenUrl: `${base}/token`,
		address,
		addMessage,
		addMessages: (inputs) => inputs.map(addMessage),
		message: (id) => messages.get(id),
		allMessages: () => [...messages.values()],
		labels: () => [...labels.values()],
		labelByName,
		deleteMessage: (id) => {
			messages.delete(id);
			history.push({ id: nextHistory() });
		},
		expireHistory: () => {
			expiredUpTo = historyCounter;
		},
		currentHistoryId: () => historyCounter.toString(),
		fault: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
		clearFaults: () => {
			faults = [];
		},
		beforeAnswer: (next) => {
			hook = next;
		},
		holdAnswers: (until) => {
			held = until.catch(() => undefined);
		},
		requests,
		tokenRequests,
		tokenJson: () =>
			JSON.stringify({
				type: 'authorized_user',
				client_id: CLIENT_ID,
				client_secret: CLIENT_SECRET,
				refresh_token: refreshToken,
				token_uri: fake.tokenUrl,
			}),
		credentialData: () => ({
			authMethod: 'tokenJson',
			googleTokenJson: fake.tokenJson(),
			apiBaseUrl: fake.apiBaseUrl,
			tokenUrl: '',
		}),
		serviceAccountKey: () =>
			JSON.stringify({
				type: 'service_account',
				project_id: 'fake-project',
				private_key_id: 'k1',
				private_key: serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }),
				client_email: serviceEmail,
				token_uri: fake.tokenUrl,
			}),
		revokeRefreshToken: () => {
			refreshToken = `1//fake-refresh-${randomBytes(8).toString('hex')}`;
		},
		expireAccessTokens: () => tokens.clear(),
		watches,
		stops: 0,
		jwksUrl: `${base}/oauth2/v3/certs`,
		pushToken: (claims, signing = {}) => {
			const now = Math.floor(Date.now() / 1000);
			const header = Buffer.from(
				JSON.stringify({ alg: signing.alg ?? 'RS256', kid: 'push-1', typ: 'JWT' }),
			).toString('base64url');
			const payload = Buffer.from(
				JSON.stringify({
					iss: 'https://accounts.google.com',
					email: 'gmail-push@fake-project.iam.gserviceaccount.com',
					email_verified: true,
					iat: now,
					exp: now + 3600,
					sub: '1234567890',
					...claims,
				}),
			).toString('base64url');
			const signature = createSign('RSA-SHA256')
				.update(`${header}.${payload}`)
				.sign(signing.foreignKey ? foreignKey.privateKey : pushKey.privateKey)
				.toString('base64url');
			return `${header}.${payload}.${signature}`;
		},
		pushBody: () => ({
			message: {
				data: Buffer.from(
					JSON.stringify({ emailAddress: address, historyId: Number(historyCounter) }),
				).toString('base64'),
				messageId: String(++pushCounter),
				publishTime: new Date().toISOString(),
			},
			subscription: 'projects/fake-project/subscriptions/gmail-push',
		}),
		deliverPush: async (url, push = {}) => {
			const token = push.token ?? fake.pushToken({ aud: push.audience ?? url });
			const response = await fetch(url, {
				method: 'POST',
				headers: {
					authorization: `Bearer ${token}`,
					'content-type': 'application/json',
					'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
				},
				body: JSON.stringify(fake.pushBody()),
			});
			await response.arrayBuffer();
			return response.status;
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
	return fake;
}

let generated:
	| Record<'serviceAccount' | 'pushKey' | 'foreignKey', ReturnType<typeof rsa>>
	| undefined;

function rsa() {
	return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** RSA keys cost ~100 ms each on an idle core: made once per process, shared by every fake. */
function keys() {
	return (generated ??= { serviceAccount: rsa(), pushKey: rsa(), foreignKey: rsa() });
}

function googleError(code: number, reason: string, message: string) {
	return {
		error: {
			code,
			message,
			errors: [{ message, domain: code === 403 ? 'usageLimits' : 'global', reason }],
			status:
				code === 404
					? 'NOT_FOUND'
					: code === 429
						? 'RESOURCE_EXHAUSTED'
						: code === 401
							? 'UNAUTHENTICATED'
							: 'PERMISSION_DENIED',
		},
	};
}

function send(res: http.ServerResponse, status: number, body: unknown) {
	const text = JSON.stringify(body);
	res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
	res.end(text);
}

const SYSTEM_LABELS = [
	'INBOX',
	'SENT',
	'DRAFT',
	'SPAM',
	'TRASH',
	'UNREAD',
	'STARRED',
	'IMPORTANT',
	'CHAT',
	'CATEGORY_PERSONAL',
	'CATEGORY_SOCIAL',
	'CATEGORY_PROMOTIONS',
	'CATEGORY_UPDATES',
	'CATEGORY_FORUMS',
];

/** The top-level header lines of a message, unfolded (names as written). */
function headerLines(raw: Buffer): Array<{ name: string; value: string }> {
	const text = raw.toString('latin1');
	const end = text.search(/\r?\n\r?\n/);
	const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
	return head
		.split(/\r?\n/)
		.map((line) => /^([^:\s]+):\s*(.*)$/.exec(line))
		.filter((match): match is RegExpExecArray => match !== null)
		.map((match) => ({ name: match[1], value: match[2] }));
}

function headerOf(raw: Buffer, name: string): string | undefined {
	return headerLines(raw).find((header) => header.name.toLowerCase() === name)?.value;
}

/**
 * An upload to `/upload/gmail/v1/users/{user}/messages`: `uploadType=media` (the message alone)
 * or `multipart` (multipart/related: the JSON metadata, then the message). A string: why not.
 */
function uploaded(
	contentType: string,
	uploadType: string | null,
	body: Buffer,
): { raw: Buffer; labelIds?: string[]; threadId?: string } | string {
	if (uploadType === 'media') return { raw: body };
	if (uploadType !== 'multipart') return `uploadType ${uploadType ?? '(none)'} is not supported`;
	const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
	if (!/^multipart\/related/i.test(contentType) || !boundary)
		return 'a multipart upload needs Content-Type multipart/related with a boundary';
	const text = body.toString('latin1');
	const parts = text.split(`--${boundary}`);
	// ['', metadata part, message part, '--\r\n']
	if (parts.length < 4 || !parts[parts.length - 1].startsWith('--'))
		return 'the multipart body is not closed by its boundary';
	const [meta, message] = [parts[1], parts[2]].map((part) => {
		const split = part.indexOf('\r\n\r\n');
		return { head: part.slice(0, split), body: part.slice(split + 4).replace(/\r\n$/, '') };
	});
	if (!/content-type:\s*application\/json/i.test(meta.head))
		return 'the first part of a multipart upload must be the JSON metadata';
	if (!/content-type:\s*message\/rfc822/i.test(message.head))
		return 'the second part of a multipart upload must be message/rfc822';
	const metadata = JSON.parse(Buffer.from(meta.body, 'latin1').toString('utf8')) as {
		labelIds?: string[];
		threadId?: string;
	};
	return { ...metadata, raw: Buffer.from(message.body, 'latin1') };
}
