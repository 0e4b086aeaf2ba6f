import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OAuth2 identity provider for the IMAP login tests. It answers the refresh-token
 * grant (RFC 6749 §6) that the Google token JSON is refreshed with, and the token
 * introspection (RFC 7662) that Dovecot's oauth2 passdb asks about every bearer token.
 */
export interface IdentityProvider {
	url: string;
	/** Where the Google token JSON's `token_uri` points. */
	tokenUri: string;
	/** Form bodies of the refresh-token requests, in order. */
	tokenRequests: URLSearchParams[];
	/** Access tokens issued by the refresh grant, in order. */
	issued: string[];
	/** Tokens Dovecot asked about, in order. */
	introspected: string[];
	close(): Promise<void>;
}

export interface IdentityProviderOptions {
	/** refresh token -> the account its access tokens belong to (`at-<account>-<n>`) */
	refreshTokens: Record<string, string>;
	/** access tokens that are active from the start -> their account */
	activeTokens?: Record<string, string>;
}

export async function startIdentityProvider(
	options: IdentityProviderOptions,
): Promise<IdentityProvider> {
	const tokenRequests: URLSearchParams[] = [];
	const issued: string[] = [];
	const introspected: string[] = [];
	const accounts = new Map<string, string>(Object.entries(options.activeTokens ?? {}));
	const server = http.createServer((request, response) => {
		let body = '';
		request.on('data', (chunk) => (body += chunk));
		request.on('end', () => {
			const form = new URLSearchParams(body);
			response.setHeader('content-type', 'application/json');
			if (request.method === 'POST' && request.url === '/introspect') {
				const token = form.get('token') ?? '';
				introspected.push(token);
				const username = accounts.get(token);
				response.end(JSON.stringify(username ? { active: true, username } : { active: false }));
				return;
			}
			if (request.method === 'POST' && request.url === '/token') {
				tokenRequests.push(form);
				const account = options.refreshTokens[form.get('refresh_token') ?? ''];
				if (form.get('grant_type') !== 'refresh_token' || !account) {
					response.statusCode = 400;
					response.end(
						JSON.stringify({
							error: 'invalid_grant',
							error_description: 'Token has been expired or revoked.',
						}),
					);
					return;
				}
				const token = `at-${account}-${issued.length + 1}`;
				issued.push(token);
				accounts.set(token, account);
				response.end(
					JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer' }),
				);
				return;
			}
			response.statusCode = 404;
			response.end('{}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url,
		tokenUri: `${url}/token`,
		tokenRequests,
		issued,
		introspected,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}

/** A Google authorized-user JSON whose refresh goes to this identity provider. */
export function googleTokenJson(idp: IdentityProvider, refreshToken: string): string {
	return JSON.stringify({
		type: 'authorized_user',
		client_id: 'cid.apps.googleusercontent.com',
		client_secret: 'secret',
		refresh_token: refreshToken,
		token_uri: idp.tokenUri,
	});
}
