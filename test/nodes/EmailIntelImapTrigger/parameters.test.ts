import { DateTime } from 'luxon';
import {
	NodeHelpers,
	type ICredentialDataDecryptedObject,
	type INodeParameters,
} from 'n8n-workflow';

import { MailIntelError } from '../../../lib/errors';
import {
	imapSettingsFrom,
	triggerParameters,
} from '../../../nodes/EmailIntelImapTrigger/parameters';
import { EmailIntelImapTrigger } from '../../../nodes/EmailIntelImapTrigger/EmailIntelImapTrigger.node';
import { EmailIntelImapApi } from '../../../credentials/EmailIntelImapApi.credentials';

const NOW = DateTime.fromISO('2026-06-30T12:00:00Z', { zone: 'utc' });

test("defaults: INBOX, P30D, the connector's MIME list, 100 per poll", () => {
	const parameters = triggerParameters('INBOX', {}, NOW);
	expect(parameters.mailboxes).toEqual(['INBOX']);
	expect(parameters.since.toISOString()).toBe('2026-05-31T12:00:00.000Z');
	expect(parameters.policy.mimeTypes).toEqual(['application/pdf', 'text/csv', 'text/plain']);
	expect(parameters.maxItems).toBe(100);
	expect(parameters.keepRaw).toBe(false);
});

test('several mailboxes, durations, search filter', () => {
	const parameters = triggerParameters(
		'INBOX, Reports\nINBOX',
		{ relativeImportStartDate: 'PT6H', subjectContains: ' phish ', maxItemsPerPoll: 5 },
		NOW,
	);
	expect(parameters.mailboxes).toEqual(['INBOX', 'Reports']);
	expect(parameters.since.toISOString()).toBe('2026-06-30T06:00:00.000Z');
	expect(parameters.search).toEqual({ subject: 'phish' });
	expect(parameters.maxItems).toBe(5);
});

test('bad values name the parameter to fix', () => {
	const fieldOf = (run: () => unknown) => {
		try {
			run();
		} catch (error) {
			return (error as MailIntelError).field;
		}
		return undefined;
	};
	expect(fieldOf(() => triggerParameters(' , ', {}, NOW))).toBe('mailboxes');
	expect(
		fieldOf(() => triggerParameters('INBOX', { relativeImportStartDate: '30 days' }, NOW)),
	).toBe('relativeImportStartDate');
	expect(fieldOf(() => imapSettingsFrom({ host: '' }))).toBe('host');
});

test('credential fields map onto connection settings', () => {
	expect(
		imapSettingsFrom({
			host: 'imap.example.com',
			port: 143,
			security: 'starttls',
			user: 'u',
			authMethod: 'accessToken',
			accessToken: 't',
		}),
	).toEqual({
		host: 'imap.example.com',
		port: 143,
		security: 'starttls',
		skipTlsVerification: false,
		user: 'u',
		auth: { method: 'accessToken', accessToken: 't' },
	});
});

test('a credential saved with the former allowSelfSigned reads as Skip TLS Verification', () => {
	const base = { host: 'imap.example.com', user: 'u', password: 'p' };
	// What n8n does to stored credential data before a node sees it (CredentialsHelper
	// applyDefaultsAndOverwrites): keep the declared fields only, with their defaults.
	const asN8nHandsIt = (stored: Record<string, unknown>) =>
		NodeHelpers.getNodeParameters(
			new EmailIntelImapApi().properties,
			stored as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
	expect(
		imapSettingsFrom(asN8nHandsIt({ ...base, allowSelfSigned: true })).skipTlsVerification,
	).toBe(true);
	expect(imapSettingsFrom(asN8nHandsIt(base)).skipTlsVerification).toBe(false);
	expect(imapSettingsFrom({ ...base, allowSelfSigned: true }).skipTlsVerification).toBe(true);
	expect(imapSettingsFrom({ ...base, skipTlsVerification: true }).skipTlsVerification).toBe(true);
	expect(imapSettingsFrom(base).skipTlsVerification).toBe(false);
	const credential = new EmailIntelImapApi();
	expect(credential.properties.map((property) => property.displayName)).toEqual(
		expect.arrayContaining(['CA Certificate (PEM)', 'Skip TLS Verification (Insecure)']),
	);
	expect(credential.properties.find((property) => property.name === 'allowSelfSigned')?.type).toBe(
		'hidden',
	);
});

test('node and credential descriptions: names, defaults and the credential test hook', () => {
	const node = new EmailIntelImapTrigger();
	expect(node.description.name).toBe('emailIntelImapTrigger');
	expect(node.description.polling).toBe(true);
	expect(node.description.credentials?.[0]).toEqual({
		name: 'emailIntelImapApi',
		required: true,
		testedBy: 'emailIntelImapApiTest',
	});
	expect(typeof node.methods.credentialTest.emailIntelImapApiTest).toBe('function');
	const credential = new EmailIntelImapApi();
	expect(credential.name).toBe('emailIntelImapApi');
	expect(credential.displayName).toBe('Email Intel IMAP');
	const defaults = Object.fromEntries(credential.properties.map((p) => [p.name, p.default]));
	expect(defaults).toMatchObject({
		port: 993,
		security: 'tls',
		caCertificate: '',
		skipTlsVerification: false,
		authMethod: 'password',
	});
});
