import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { DovecotServer } from './dovecot';

/**
 * The pack's IMAP credential (`emailIntelImapApi`) for a user of a test Dovecot: password login,
 * no TLS (the lab listens on loopback only). `overrides` replace or add fields.
 */
export function dovecotCredential(
	server: Pick<DovecotServer, 'host' | 'port' | 'users'>,
	overrides: Record<string, unknown> = {},
	user = 'alice',
): ICredentialDataDecryptedObject {
	return {
		host: server.host,
		port: server.port,
		security: 'none',
		user,
		authMethod: 'password',
		password: server.users[user],
		...(overrides as ICredentialDataDecryptedObject),
	};
}
