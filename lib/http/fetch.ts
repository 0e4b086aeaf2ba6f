import { readBuffer } from './body';
import type { HttpTransport } from './transport';

/** Statuses whose Response must not carry a body (the Fetch standard's "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` over the transport, for libraries that take one (graphql-request): the request
 * is normalised by the standard Request class (a FormData body becomes multipart with its
 * boundary), sent with the transport's timeouts, proxy, CA and retries, and the answer is read
 * into memory (bounded) as a standard Response. `idempotent` marks its POSTs as safe to repeat.
 */
export function transportFetch(
	transport: HttpTransport,
	options: { idempotent?: boolean } = {},
): typeof fetch {
	return async (input, init) => {
		const request = new Request(input, init);
		const headers: Record<string, string> = {};
		request.headers.forEach((value, name) => (headers[name] = value));
		const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
		const response = await transport.request({
			method: request.method,
			url: request.url,
			headers,
			...(body ? { body } : {}),
			...(options.idempotent !== undefined ? { idempotent: options.idempotent } : {}),
			...(init?.signal ? { signal: init.signal } : {}),
		});
		const data = await readBuffer(response.body, { source: transport.source });
		return new Response(NULL_BODY.has(response.status) ? null : data, {
			status: response.status,
			headers: response.headers,
		});
	};
}
