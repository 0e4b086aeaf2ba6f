/** Small factories for RFC 822 test messages (TESTING: fixtures come from factories, not files). */
export interface MessageSpec {
	subject?: string;
	from?: string;
	to?: string;
	date?: Date;
	messageId?: string | null;
	text?: string;
	attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
}

let counter = 0;

export function message(spec: MessageSpec = {}): string {
	counter++;
	const boundary = `b-${counter}-${Math.random().toString(36).slice(2)}`;
	const headers = [
		`From: ${spec.from ?? 'Sender <sender@example.com>'}`,
		`To: ${spec.to ?? 'alice@example.com'}`,
		`Subject: ${spec.subject ?? `message ${counter}`}`,
		`Date: ${(spec.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
		...(spec.messageId === null
			? []
			: [`Message-ID: ${spec.messageId ?? `<m${counter}.${Date.now()}@example.com>`}`]),
		'MIME-Version: 1.0',
	];
	const text = spec.text ?? `Body of ${spec.subject ?? `message ${counter}`}`;
	if (!spec.attachments?.length) {
		return [...headers, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n');
	}
	const parts = [`--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', text];
	for (const attachment of spec.attachments) {
		parts.push(
			`--${boundary}`,
			`Content-Type: ${attachment.contentType}; name="${attachment.filename}"`,
			`Content-Disposition: attachment; filename="${attachment.filename}"`,
			'Content-Transfer-Encoding: base64',
			'',
			attachment.content.toString('base64').replace(/.{76}/g, '$&\r\n'),
		);
	}
	parts.push(`--${boundary}--`, '');
	return [...headers, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', ...parts].join(
		'\r\n',
	);
}

/** Messages a real mailbox contains sooner or later: each must still come out as an item. */
export const MALFORMED: string[] = [
	// no header/body separator at all, binary junk
	'\u0000\u0001\u0002 not a message at all \u00ff\u00fe',
	// multipart whose boundary never appears and never closes
	'Subject: broken multipart\r\nContent-Type: multipart/mixed; boundary="nope"\r\n\r\n--other\r\nContent-Type: text/plain\r\n\r\nhello\r\n',
	// attachment with invalid base64 and a garbage Date header
	'Subject: bad base64\r\nDate: not a date at all\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@!!!!====%%%%\r\n--x--\r\n',
	// unknown charset and an encoded-word that never ends
	'Subject: =?x-unknown-charset?B?SGVsbG8=?= =?utf-8?Q?unterminated\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\nbody\r\n',
];
