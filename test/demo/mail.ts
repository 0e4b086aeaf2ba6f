// The demo's mail: a handful of realistic threat-intel and phishing emails, each written once and
// handed to every stand-in in the form it takes (raw RFC 5322 for Dovecot and the Gmail fake,
// Graph's message resource for the Microsoft 365 fake). The EICAR test file stands in for malware.
import { randomUUID } from 'node:crypto';

import { EICAR } from '../fixtures/eicar';
import type { FakeMessageInput as GraphMessageInput } from '../fakes/graph';

export interface DemoAttachment {
	filename: string;
	contentType: string;
	content: Buffer;
}

export interface DemoEmail {
	/** a short handle for the demo's page and the tests */
	key: string;
	from: string;
	subject: string;
	text: string;
	html?: string;
	attachments: DemoAttachment[];
}

/** A one-page PDF that any reader opens (the body text only; what matters is the name and type). */
function tinyPdf(line: string): Buffer {
	const stream = `BT /F1 12 Tf 72 720 Td (${line.replace(/[()\\]/g, '')}) Tj ET`;
	const objects = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	let body = '%PDF-1.4\n';
	const offsets: number[] = [];
	objects.forEach((object, index) => {
		offsets.push(body.length);
		body += `${index + 1} 0 obj\n${object}\nendobj\n`;
	});
	const xref = body.length;
	body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
	body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(body, 'latin1');
}

const IOC_CSV = [
	'indicator,type,first_seen,comment',
	'185.220.101.47,ipv4-addr,2026-11-24,QakBot C2 (tier 1)',
	'45.147.231.18,ipv4-addr,2026-11-25,QakBot C2 (tier 1)',
	'cdn-update-service.example,domain-name,2026-11-25,payload staging',
	'hxxps://cdn-update-service.example/u/9f3a.dll,url,2026-11-26,DLL payload',
	'3f1b0c2a9e5d4f7b8a6c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708,file:hashes.SHA-256,2026-11-26,loader DLL',
	'',
].join('\n');

export const THREAT_REPORT: DemoEmail = {
	key: 'threat-report',
	from: 'CERT-EU Threat Intel <intel-feed@cert.example.eu>',
	subject: 'TLP:AMBER briefing: Storm-1811 vishing campaign delivers Black Basta loaders',
	text: [
		'Dear partners,',
		'',
		'Since 18 November we observe a vishing campaign attributed to Storm-1811: operators flood',
		'a target mailbox with newsletter sign-ups, then call the employee as "IT support" and ask',
		'them to start Quick Assist. The session is used to drop a loader that leads to Black Basta.',
		'',
		'The attached briefing lists the TTPs and detection opportunities.',
		'',
		'CERT-EU Threat Intelligence',
	].join('\n'),
	attachments: [
		{
			filename: 'storm-1811-briefing.pdf',
			contentType: 'application/pdf',
			content: tinyPdf('Storm-1811 briefing: Quick Assist abuse, Black Basta loaders'),
		},
	],
};

/** A text-only report with an IOC list as CSV. */
export const IOC_LIST: DemoEmail = {
	key: 'ioc-list',
	from: 'Abuse Feed <feeds@abuse.example.org>',
	subject: 'IOC list: QakBot C2 infrastructure (week 48)',
	text: [
		'Weekly indicator drop for QakBot infrastructure seen by our sinkholes this week.',
		'Five indicators attached as CSV (IPv4, domain, URL, SHA-256). TLP:GREEN, share freely.',
	].join('\n'),
	attachments: [
		{ filename: 'qakbot-c2-week48.csv', contentType: 'text/csv', content: Buffer.from(IOC_CSV) },
	],
};

/** Phishing with "malware": the EICAR test string in a PDF-named attachment. */
export const EICAR_INVOICE: DemoEmail = {
	key: 'eicar-invoice',
	from: 'Accounts Payable <billing@supp1ier-payments.example>',
	subject: 'Overdue invoice INV-2026-1187: payment required today',
	text: 'Hello,\n\nplease find attached the overdue invoice INV-2026-1187. Pay today to avoid a late fee.\n\nAccounts Payable',
	html: '<html><body><p>Hello,</p><p>please find attached the overdue invoice <b>INV-2026-1187</b>. Pay today to avoid a late fee.</p><p>Accounts Payable</p></body></html>',
	attachments: [{ filename: 'INV-2026-1187.pdf', contentType: 'application/pdf', content: EICAR }],
};

export const PASSWORD_PHISH: DemoEmail = {
	key: 'password-phish',
	from: 'Microsoft 365 <no-reply@m1crosoft-365-alerts.example>',
	subject: 'Your password expires today',
	text: 'Your Microsoft 365 password expires today. Keep your current password: hxxps://m1crosoft-365-alerts.example/keep',
	html: '<html><body><p>Your Microsoft 365 password <b>expires today</b>.</p><p><a href="https://m1crosoft-365-alerts.example/keep">Keep my current password</a></p></body></html>',
	attachments: [],
};

/** What an employee sends to the "report phishing" mailbox (example 4 answers it). */
export const PHISHING_REPORT: DemoEmail = {
	key: 'phishing-report',
	from: 'Dana Reporter <reporter@mail.test>',
	subject: 'Suspicious: "Your password expires today"',
	text: 'Hi security team,\n\nI got the message below and did not click anything. Is it real?\n\nDana',
	attachments: [],
};

/** The mail every inbox of the demo starts with (the reporting mailbox starts empty). */
export const INBOX_SEED: DemoEmail[] = [THREAT_REPORT, IOC_LIST, EICAR_INVOICE, PASSWORD_PHISH];

/** The email as an RFC 5322 message (CRLF), dated `date`, addressed to `to`. */
export function rawEmail(email: DemoEmail, to: string, date = new Date()): Buffer {
	const boundary = `demo-${randomUUID()}`;
	const alternative = `alt-${randomUUID()}`;
	const domain = /@([^>]+)>?$/.exec(email.from)?.[1] ?? 'demo.test';
	const head = [
		`From: ${email.from}`,
		`To: ${to}`,
		`Subject: ${email.subject}`,
		`Date: ${date.toUTCString().replace('GMT', '+0000')}`,
		`Message-ID: <${email.key}.${randomUUID()}@${domain}>`,
		'MIME-Version: 1.0',
	];
	const textPart = ['Content-Type: text/plain; charset=utf-8', '', email.text];
	const bodyPart = email.html
		? [
				`Content-Type: multipart/alternative; boundary="${alternative}"`,
				'',
				`--${alternative}`,
				...textPart,
				`--${alternative}`,
				'Content-Type: text/html; charset=utf-8',
				'',
				email.html,
				`--${alternative}--`,
			]
		: textPart;
	if (email.attachments.length === 0) return Buffer.from([...head, ...bodyPart, ''].join('\r\n'));
	const lines = [
		...head,
		`Content-Type: multipart/mixed; boundary="${boundary}"`,
		'',
		`--${boundary}`,
		...bodyPart,
	];
	for (const attachment of email.attachments) {
		lines.push(
			`--${boundary}`,
			`Content-Type: ${attachment.contentType}; name="${attachment.filename}"`,
			`Content-Disposition: attachment; filename="${attachment.filename}"`,
			'Content-Transfer-Encoding: base64',
			'',
			...(attachment.content.toString('base64').match(/.{1,76}/g) ?? []),
		);
	}
	lines.push(`--${boundary}--`, '');
	return Buffer.from(lines.join('\r\n'));
}

/** The email as the Graph fake's message input. */
export function graphMessage(email: DemoEmail): GraphMessageInput {
	return {
		subject: email.subject,
		from: /<([^>]+)>/.exec(email.from)?.[1] ?? email.from,
		body: email.html ?? email.text,
		bodyType: email.html ? 'html' : 'text',
		attachments: email.attachments.map((attachment) => ({
			name: attachment.filename,
			contentType: attachment.contentType,
			content: attachment.content,
		})),
	};
}
