import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { googleAccessToken, parseGoogleTokenJson } from '../../../lib/auth/google-token';
import { isMailIntelError } from '../../../lib/errors';

const tokenJson = (tokenUri: string) =>
	JSON.stringify({
		client_id: 'cid',
		client_secret: 'secret',
		refresh_token: 'rt',
		token_uri: tokenUri,
	});

describe('Google token JSON refresh', () => {
	it('refuses an http token_uri (secret and refresh token in clear), naming token_uri and the fix', () => {
		let error: unknown;
		try {
			parseGoogleTokenJson(tokenJson('http://oauth2.example.com/token'));
		} catch (caught) {
			error = caught;
		}
		expect(isMailIntelError(error) && error).toMatchObject({
			code: 'BAD_TOKEN_URI',
			field: 'googleTokenJson',
		});
		expect((error as Error).message).toContain('token_uri in the Google Token JSON');
		expect((error as { hint: string }).hint).toContain('https://oauth2.googleapis.com/token');
	});

	it('accepts loopback over http, refreshes once, then answers from memory until shortly before expiry', async () => {
		let requests = 0;
		const server = http.createServer((req, res) => {
			requests++;
			req.resume();
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ access_token: `at-${requests}`, expires_in: 3600 }));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
		const json = parseGoogleTokenJson(tokenJson(uri));
		let now = Date.now();
		const options = { source: 'imap' as const, field: 'googleTokenJson', now: () => now };
		expect(await googleAccessToken(json, options)).toBe('at-1');
		expect(await googleAccessToken(json, options)).toBe('at-1');
		expect(requests).toBe(1);
		now += 3600_000 - 30_000; // inside the last minute: refreshed again
		expect(await googleAccessToken(json, options)).toBe('at-2');
		expect(requests).toBe(2);
		await new Promise((resolve) => server.close(resolve));
	});
});
