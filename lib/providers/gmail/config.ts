import {
	authorizedUserTokens,
	parseGoogleTokenJson,
	parseServiceAccountKey,
	serviceAccountTokens,
	type AccessTokenSource,
} from '../../auth/google-token';
import { MailIntelError } from '../../errors';
import type { HttpTransport } from '../../http/transport';
import { identityOf } from '../../ingest/state';
import { GMAIL_API_BASE_URL, GMAIL_SCOPE } from './client';

/** How the Gmail nodes authenticate: one of the three credentials (README "Gmail"). */
export type GmailAuth =
	| {
			/** n8n's Google OAuth2 credential: the access token n8n holds, refreshed here when refused. */
			method: 'oAuth2';
			clientId: string;
			clientSecret: string;
			accessToken?: string;
			refreshToken?: string;
			tokenUrl?: string;
	  }
	| { method: 'tokenJson'; googleTokenJson: string; tokenUrl?: string }
	| {
			method: 'serviceAccount';
			serviceAccountKey: string;
			/** The Workspace user the service account acts as (domain-wide delegation). */
			delegatedUser: string;
			tokenUrl?: string;
	  };

export interface GmailConfig {
	auth: GmailAuth;
	/** Default https://gmail.googleapis.com. */
	apiBaseUrl?: string;
}

/** The mailbox the API calls name: the delegated user, or `me` (the token's own user). */
export function gmailUser(config: GmailConfig): string {
	return config.auth.method === 'serviceAccount' ? config.auth.delegatedUser.trim() : 'me';
}

/** Access tokens for the credential, through the one Google token implementation (lib/auth). */
export function gmailTokens(config: GmailConfig, transport?: HttpTransport): AccessTokenSource {
	const auth = config.auth;
	const common = {
		source: 'gmail' as const,
		...(auth.tokenUrl?.trim() ? { tokenUri: auth.tokenUrl.trim() } : {}),
		...(transport ? { transport } : {}),
	};
	switch (auth.method) {
		case 'tokenJson':
			return authorizedUserTokens(parseGoogleTokenJson(auth.googleTokenJson), {
				...common,
				field: 'googleTokenJson',
			});
		case 'serviceAccount': {
			if (!/^[^@\s]+@[^@\s]+$/.test(auth.delegatedUser.trim()))
				throw new MailIntelError('the user to act as is not an email address', {
					source: 'config',
					code: 'BAD_CONFIG',
					field: 'delegatedUser',
					hint: 'Enter the Google Workspace mailbox the service account reads, e.g. soc@example.com.',
				});
			return serviceAccountTokens(
				parseServiceAccountKey(auth.serviceAccountKey),
				auth.delegatedUser.trim(),
				GMAIL_SCOPE,
				{ ...common, field: 'serviceAccountKey' },
			);
		}
		case 'oAuth2':
			if (!auth.refreshToken && !auth.accessToken)
				throw new MailIntelError('the Gmail OAuth2 credential is not connected', {
					source: 'config',
					code: 'MISSING_SECRET',
					field: 'oauthTokenData',
					hint: 'Open the credential and click "Sign in with Google".',
				});
			return authorizedUserTokens(
				{
					client_id: auth.clientId,
					client_secret: auth.clientSecret,
					refresh_token: auth.refreshToken ?? '',
					...(auth.accessToken ? { token: auth.accessToken } : {}),
				},
				{
					...common,
					field: 'oauthTokenData',
					hint: 'Google refused the stored refresh token (expired or revoked): open the credential and sign in with Google again.',
				},
			);
	}
}

/**
 * The account the cursors belong to: API endpoint, mailbox (`me` or the delegated user) and the
 * OAuth client or service account, hashed. Not the refresh token: reconnecting the same Google
 * account issues a new one, and that must not re-import the start window. A credential moved
 * to another Google account with the same client keeps its cursor: the other mailbox answers
 * the old history id with 404, which resyncs from the start date there.
 */
export function gmailIdentity(config: GmailConfig): string {
	const auth = config.auth;
	const who =
		auth.method === 'oAuth2'
			? auth.clientId
			: auth.method === 'tokenJson'
				? jsonField(auth.googleTokenJson, 'client_id')
				: jsonField(auth.serviceAccountKey, 'client_email');
	return identityOf('gmail', config.apiBaseUrl ?? GMAIL_API_BASE_URL, gmailUser(config), who);
}

function jsonField(text: string, field: string): string {
	try {
		return String((JSON.parse(text) as Record<string, unknown>)[field] ?? '');
	} catch {
		return '';
	}
}
