import { simpleParser, type ParsedMail } from 'mailparser';

import { formatLocator, parseLocator } from '../../../../lib/mail/locator';
import { connectImap } from '../../../../lib/providers/imap/connect';
import { ImapRemediator } from '../../../../lib/providers/imap/remediate';
import { ImapSession } from '../../../../lib/providers/imap/session';
import type { ImapSettings } from '../../../../lib/providers/imap/settings';
import { DEFAULT_POLICY, type RemediationPolicy } from '../../../../lib/remediation/policy';
import type { ScanReport } from '../../../../lib/scan/types';
import type { DovecotServer } from '../../../imap/dovecot';
import { file, html, message, multipart, text } from '../../../fixtures/mime-factory';

/** What a user sees in a folder after a remediation: every message, parsed, with its flags and INTERNALDATE. */
export interface StoredMessage {
	uid: number;
	flags: string[];
	internalDate: Date;
	parsed: ParsedMail;
	raw: string;
}

export async function readFolder(
	settings: ImapSettings,
	mailbox: string,
): Promise<StoredMessage[]> {
	const client = await connectImap(settings);
	try {
		const listed = await client.list();
		if (!listed.some((box) => box.path === mailbox)) return [];
		const lock = await client.getMailboxLock(mailbox, { readOnly: true });
		try {
			const out: StoredMessage[] = [];
			if (!client.mailbox || client.mailbox.exists === 0) return out;
			for await (const found of client.fetch('1:*', {
				uid: true,
				flags: true,
				internalDate: true,
				source: true,
			})) {
				out.push({
					uid: found.uid,
					flags: [...(found.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
					internalDate: found.internalDate as Date,
					parsed: await simpleParser(found.source as Buffer),
					raw: (found.source as Buffer).toString('latin1'),
				});
			}
			return out;
		} finally {
			lock.release();
		}
	} finally {
		await client.logout().catch(() => client.close());
	}
}

export interface InvoiceAttachment {
	filename: string;
	contentType: string;
	data: Buffer;
}

/**
 * Mallory's "pay the attached invoice" mail: a text and an HTML body (part 1), then the given
 * attachments (parts 2, 3, …). A random Message-ID unless one is given.
 */
export function invoiceMail(
	subject: string,
	attachments: InvoiceAttachment[],
	messageId = `<${Math.random().toString(36).slice(2)}@evil.example>`,
): Buffer {
	return message(
		{
			From: 'Mallory <mallory@evil.example>',
			To: 'alice@example.org',
			Subject: subject,
			Date: 'Tue, 01 Dec 2026 09:30:00 +0100',
			'Message-ID': messageId,
		},
		multipart('mixed', 'outer-b', [
			multipart('alternative', 'alt-b', [
				text('Please pay the attached invoice.'),
				html('<html><body><p>Please pay the attached invoice.</p></body></html>'),
			]),
			...attachments.map(({ filename, contentType, data }) =>
				file({ contentType, data, disposition: `attachment; filename="${filename}"` }),
			),
		]),
	);
}

/** The invoice mail with two attachments: report.pdf (part 2) and invoice.exe (part 3). */
export function suspiciousMessage(subject = 'Quarterly invoice', exeName = 'invoice.exe'): Buffer {
	return invoiceMail(subject, [
		{
			filename: 'report.pdf',
			contentType: 'application/pdf',
			data: Buffer.from('%PDF-1.4 harmless report'),
		},
		{
			filename: exeName,
			contentType: 'application/octet-stream',
			data: Buffer.from('MZ this would be the malware'),
		},
	]);
}

/** What a scan node writes on the item: invoice.exe (part 3) Malicious, report.pdf Benign. */
export function scanReport(exeName = 'invoice.exe'): ScanReport {
	const file = (id: string, filename: string, verdict: 'Benign' | 'Malicious') => ({
		attachment: { id, filename, size: 10 },
		verdict,
		engine: 'clamav' as const,
		durationMs: 1,
		...(verdict === 'Malicious' ? { threatType: 'Eicar-Test-Signature' } : {}),
	});
	return {
		verdict: 'Malicious',
		engine: 'clamav',
		scannedAt: new Date().toISOString(),
		files: [file('2', 'report.pdf', 'Benign'), file('3', exeName, 'Malicious')],
	};
}

export function policy(overrides: Partial<RemediationPolicy> = {}): RemediationPolicy {
	return { ...DEFAULT_POLICY, headers: { 'X-Attachment-Scan': 'malicious' }, ...overrides };
}

export class Remediation {
	readonly session: ImapSession;
	readonly remediator: ImapRemediator;
	constructor(
		server: DovecotServer,
		readonly settings: ImapSettings,
	) {
		this.session = new ImapSession(settings);
		this.remediator = new ImapRemediator(this.session, {
			host: settings.host,
			port: settings.port,
		});
		void server;
	}

	async locator(mailbox: string, uid: number): Promise<string> {
		const status = await this.session.status(mailbox);
		return formatLocator(
			{
				provider: 'imap',
				account: this.settings.user,
				mailbox,
				uid,
				uidValidity: status.uidValidity,
				id: '',
			},
			{ host: this.settings.host, port: this.settings.port },
		);
	}

	remediate(locator: string, chosen: RemediationPolicy, scan?: ScanReport) {
		return this.remediator.remediate(
			{ ref: parseLocator(locator), locator, ...(scan ? { scan } : {}) },
			chosen,
		);
	}

	release(locator: string) {
		return this.remediator.release({ ref: parseLocator(locator), locator }, { subjectTag: '' });
	}

	close() {
		return this.remediator.close();
	}
}
