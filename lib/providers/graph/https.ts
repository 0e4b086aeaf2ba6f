import { HttpTransport, type HttpTransportOptions } from '../../http/transport';

/**
 * The Graph provider's use of lib/http: its errors name Graph and the `graphBaseUrl` field, and
 * an extra trusted CA (a TLS-inspecting proxy, the test fake) can be given per client; without
 * one, Node's store applies, including NODE_EXTRA_CA_CERTS.
 */
export type HttpsTransport = HttpTransport;

export function createHttpsTransport(
	options: Omit<HttpTransportOptions, 'source'> = {},
): HttpsTransport {
	return new HttpTransport({ field: 'graphBaseUrl', ...options, source: 'graph' });
}

const sharedTransports = new Map<string, HttpsTransport>();

/**
 * One transport per extra CA for the whole process: every webhook call builds a session, and
 * the warm keep-alive TLS connections of the shared pools keep a notification's work short.
 */
export function sharedHttpsTransport(ca?: string): HttpsTransport {
	const key = ca ?? '';
	let transport = sharedTransports.get(key);
	if (!transport) sharedTransports.set(key, (transport = createHttpsTransport({ ca })));
	return transport;
}

export { readText } from '../../http/body';
