import { googleAccessToken, parseGoogleTokenJson, type FetchLike } from '../../auth/google-token';
import { MailIntelError } from '../../errors';
import type { ImapAuth } from './settings';

/** What imapflow's `auth` option needs, besides the user name. */
export type ImapLogin = { pass: string } | { accessToken: string };

export type { FetchLike };
export { parseGoogleTokenJson };

/** Resolves the credential's auth method to a password or a fresh access token. */
export async function resolveLogin(auth: ImapAuth, fetchImpl?: FetchLike): Promise<ImapLogin> {
	switch (auth.method) {
		case 'password':
			if (!auth.password) throw missing('password', 'Password');
			return { pass: auth.password };
		case 'accessToken':
			if (!auth.accessToken) throw missing('accessToken', 'Access Token');
			return { accessToken: auth.accessToken.trim() };
		case 'googleTokenJson':
			return {
				accessToken: await googleAccessToken(parseGoogleTokenJson(auth.googleTokenJson), {
					source: 'imap',
					field: 'googleTokenJson',
					...(fetchImpl ? { fetch: fetchImpl } : {}),
				}),
			};
	}
}

function missing(field: string, label: string): MailIntelError {
	return new MailIntelError(`the ${label} field of the Email Intel IMAP credential is empty`, {
		source: 'config',
		code: 'MISSING_SECRET',
		field,
		hint: `Fill in ${label}, or choose another Authentication method.`,
	});
}
