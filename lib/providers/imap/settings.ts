/**
 * How to reach and log in to one IMAP account. The credential `Email Intel IMAP` maps 1:1
 * onto this shape; `field` names in errors refer to these keys so the node can tell the
 * user which credential field to fix.
 */
export type ImapSecurity = 'tls' | 'starttls' | 'none';

export type ImapAuth =
	| { method: 'password'; password: string }
	/** Google "authorized user" JSON (client_id, client_secret, refresh_token, token_uri), XOAUTH2. */
	| { method: 'googleTokenJson'; googleTokenJson: string }
	/** A ready OAuth2 access token (XOAUTH2), refreshed by someone else. */
	| { method: 'accessToken'; accessToken: string };

export interface ImapSettings {
	host: string;
	port: number;
	security: ImapSecurity;
	/** Accept a certificate no CA vouches for (self-signed lab servers). Off by default. */
	allowSelfSigned: boolean;
	user: string;
	auth: ImapAuth;
	/** Connect/greeting budget in milliseconds. */
	connectTimeoutMs?: number;
}

/** The credential field holding the secret for an auth method (named in auth errors). */
export function secretField(auth: ImapAuth): 'password' | 'googleTokenJson' | 'accessToken' {
	return auth.method;
}
