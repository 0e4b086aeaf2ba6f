import { isIP } from 'node:net';

import { ImapFlow, type ImapFlowOptions } from 'imapflow';

import { MailIntelError } from '../../errors';
import { resolveLogin, type FetchLike } from './auth';
import { imapError } from './errors';
import type { ImapSettings } from './settings';

export interface ConnectOptions {
	/** Receives imapflow's protocol log (e.g. to count commands in the benchmark). */
	logger?: ImapFlowOptions['logger'];
	fetch?: FetchLike;
	/**
	 * imapflow options laid over the short-poll defaults of imapFlowOptions(), e.g. by the
	 * long-lived IDLE connection of the events trigger (auto-IDLE on, QRESYNC enabled).
	 */
	flow?: Partial<ImapFlowOptions>;
}

/** Builds imapflow's options from our settings: TLS mode, certificate trust, SNI. */
export function imapFlowOptions(
	settings: ImapSettings,
	login: { pass: string } | { accessToken: string },
): ImapFlowOptions {
	const timeout = settings.connectTimeoutMs ?? 30_000;
	return {
		host: settings.host,
		port: settings.port,
		// Implicit TLS (993) vs. plain connection; STARTTLS is required (not opportunistic) when chosen.
		secure: settings.security === 'tls',
		doSTARTTLS:
			settings.security === 'starttls' ? true : settings.security === 'none' ? false : undefined,
		...(isIP(settings.host) ? {} : { servername: settings.host }),
		tls: tlsTrust(settings),
		auth: { user: settings.user, ...login },
		logger: false,
		// A poll is short: no IDLE between commands, and no COMPRESS/ENABLE round trips we do
		// not need (STATUS HIGHESTMODSEQ works without ENABLE CONDSTORE, RFC 7162 §3.1.2).
		disableAutoIdle: true,
		disableCompression: true,
		disableAutoEnable: true,
		connectionTimeout: timeout,
		greetingTimeout: timeout,
		socketTimeout: 5 * 60_000,
		clientInfo: { name: 'n8n-nodes-email-intel' },
	};
}

/**
 * Certificate trust: full verification (chain, host name, dates) against the system's CAs,
 * or against the credential's own CA only (a private CA); every check off only when the user
 * chose "Skip TLS Verification (Insecure)". Never TLS below 1.2.
 */
export function tlsTrust(settings: ImapSettings): NonNullable<ImapFlowOptions['tls']> {
	if (settings.skipTlsVerification) return { rejectUnauthorized: false, minVersion: 'TLSv1.2' };
	return {
		rejectUnauthorized: true,
		minVersion: 'TLSv1.2',
		...(settings.caCertificate ? { ca: settings.caCertificate } : {}),
	};
}

/**
 * Connects and logs in. The 'error' listener is attached before connect(): imapflow emits
 * socket errors as events, and an unhandled emitter error would take n8n down.
 */
export async function connectImap(
	settings: ImapSettings,
	options: ConnectOptions = {},
): Promise<ImapFlow> {
	const login = await resolveLogin(settings.auth, options.fetch);
	const client = new ImapFlow({
		...imapFlowOptions(settings, login),
		...options.flow,
		...(options.logger ? { logger: options.logger } : {}),
	});
	client.on('error', () => {
		// Surfaced through the rejected command instead; the listener only keeps the process alive.
	});
	try {
		await client.connect();
	} catch (error) {
		client.close();
		if ('accessToken' in login && client.capabilities.size > 0 && !offersOAuth(client)) {
			throw new MailIntelError(
				`the IMAP server at ${settings.host}:${settings.port} does not offer OAuth2 login (AUTH=XOAUTH2 / OAUTHBEARER)`,
				{
					source: 'imap',
					code: 'AUTH_METHOD_UNSUPPORTED',
					field: 'authMethod',
					hint: 'Choose Password as Authentication, or use a server that supports XOAUTH2 (Gmail, Microsoft 365).',
					cause: error,
				},
			);
		}
		throw imapError(error, settings);
	}
	return client;
}

/** Logs out politely; falls back to closing the socket when the connection is already gone. */
export async function disconnectImap(client: ImapFlow): Promise<void> {
	try {
		if (client.usable) await client.logout();
		else client.close();
	} catch {
		client.close();
	}
}

function offersOAuth(client: ImapFlow): boolean {
	return client.capabilities.has('AUTH=XOAUTH2') || client.capabilities.has('AUTH=OAUTHBEARER');
}
