import https from 'node:https';
import tls from 'node:tls';
import type { Readable } from 'node:stream';

/**
 * The one HTTP path of the Graph provider (Graph calls and MSAL's token requests). It is
 * node:https rather than the global fetch so that one keep-alive agent serves a whole pass
 * and an extra trusted CA (a TLS-inspecting proxy, the test fake) can be given per client;
 * without `ca`, Node's store applies, including NODE_EXTRA_CA_CERTS.
 */
export interface HttpsRequest {
	method: string;
	url: string;
	headers?: Record<string, string>;
	body?: string | Buffer;
}

export interface HttpsResponse {
	status: number;
	headers: Record<string, string>;
	body: Readable;
}

export interface HttpsTransport {
	send(request: HttpsRequest, signal?: AbortSignal): Promise<HttpsResponse>;
	close(): void;
}

/**
 * Building a TLS context with a custom CA loads the whole root store again (tens of ms of CPU);
 * done per connection it would stall the event loop that answers Graph's notifications. One
 * context per extra CA, trusted in addition to Node's bundled roots.
 */
const secureContexts = new Map<string, tls.SecureContext>();

function secureContextFor(ca: string): tls.SecureContext {
	let context = secureContexts.get(ca);
	if (!context)
		secureContexts.set(
			ca,
			(context = tls.createSecureContext({ ca: [...tls.rootCertificates, ca] })),
		);
	return context;
}

export function createHttpsTransport(
	options: { ca?: string; maxSockets?: number; keepAlive?: boolean } = {},
): HttpsTransport {
	const agent = new https.Agent({
		keepAlive: options.keepAlive ?? true,
		maxSockets: options.maxSockets ?? 16,
		...(options.ca ? { secureContext: secureContextFor(options.ca) } : {}),
	});
	return {
		send(request, signal) {
			return new Promise((resolve, reject) => {
				const url = new URL(request.url);
				if (url.protocol !== 'https:') {
					reject(new Error(`refusing a non-https URL: ${url.origin}`));
					return;
				}
				const req = https.request(
					url,
					{ method: request.method, headers: request.headers, agent, signal },
					(res) => {
						const headers: Record<string, string> = {};
						for (const [name, value] of Object.entries(res.headers)) {
							if (value !== undefined)
								headers[name] = Array.isArray(value) ? value.join(', ') : value;
						}
						resolve({ status: res.statusCode ?? 0, headers, body: res });
					},
				);
				req.on('error', reject);
				req.end(request.body);
			});
		},
		close() {
			agent.destroy();
		},
	};
}

const sharedTransports = new Map<string, HttpsTransport>();

/**
 * One keep-alive transport per extra CA for the whole process: every webhook call builds a
 * session, and reusing warm TLS connections to Graph keeps a notification's work short.
 * Idle keep-alive sockets are unref'd by Node's agent, so they never hold the process open.
 * `close()` on it is a no-op; it lives as long as the process.
 */
export function sharedHttpsTransport(ca?: string): HttpsTransport {
	const key = ca ?? '';
	let transport = sharedTransports.get(key);
	if (!transport) {
		const inner = createHttpsTransport({ ca });
		transport = { send: (request, signal) => inner.send(request, signal), close: () => undefined };
		sharedTransports.set(key, transport);
	}
	return transport;
}

export async function readText(body: Readable): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of body) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}
