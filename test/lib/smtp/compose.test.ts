import { Readable } from 'node:stream';

import { MailIntelError } from '../../../lib/errors';
import {
	composeMessage,
	forwardSubject,
	replyRecipients,
	replySubject,
	splitAddressList,
	threadReferences,
	type ComposeInput,
	type ReferenceMessage,
} from '../../../lib/smtp/compose';
import { buildMessage } from '../../../lib/smtp/build';

function reference(overrides: Partial<ReferenceMessage> = {}): ReferenceMessage {
	return {
		messageId: '<m2@example.com>',
		references: ['<m0@example.com>', '<m1@example.com>'],
		subject: 'Incident',
		from: { name: 'Bob', address: 'bob@example.com' },
		replyTo: [],
		to: [
			{ name: 'Alice', address: 'Alice@Example.com' },
			{ name: 'Carol', address: 'carol@example.com' },
		],
		cc: [{ name: '', address: 'dave@example.com' }],
		text: 'original',
		html: '',
		attachments: [],
		...overrides,
	};
}

function input(overrides: Partial<ComposeInput>): ComposeInput {
	return {
		action: 'send',
		from: { name: 'Alice', address: 'alice@example.com' },
		to: [],
		cc: [],
		bcc: [],
		subject: '',
		attachments: [],
		self: ['alice@example.com'],
		...overrides,
	};
}

test.each([
	['Incident', 'Re: Incident'],
	['Re: Incident', 'Re: Incident'],
	['RE: Incident', 'RE: Incident'],
	['re[2]: Incident', 're[2]: Incident'],
	['Fwd: Incident', 'Re: Fwd: Incident'],
	['', 'Re:'],
])('reply subject of %j is %j (never Re: Re:)', (subject, expected) => {
	expect(replySubject(subject)).toBe(expected);
});

test.each([
	['Incident', 'Fwd: Incident'],
	['Fwd: Incident', 'Fwd: Incident'],
	['FW: Incident', 'FW: Incident'],
	['Re: Incident', 'Fwd: Re: Incident'],
])('forward subject of %j is %j', (subject, expected) => {
	expect(forwardSubject(subject)).toBe(expected);
});

test('References: the original chain plus its Message-ID, no duplicates, bounded to the root and the newest', () => {
	expect(threadReferences(reference())).toEqual([
		'<m0@example.com>',
		'<m1@example.com>',
		'<m2@example.com>',
	]);
	expect(threadReferences(reference({ references: ['<m2@example.com>'] }))).toEqual([
		'<m2@example.com>',
	]);
	const long = Array.from({ length: 100 }, (_, n) => `<r${n}@x>`);
	const bounded = threadReferences(reference({ references: long }));
	expect(bounded).toHaveLength(30);
	expect(bounded[0]).toBe('<r0@x>');
	expect(bounded.at(-1)).toBe('<m2@example.com>');
});

test('reply goes to Reply-To when set, else From; reply-all adds To and Cc minus self (any case), once each', () => {
	expect(replyRecipients(reference(), false, ['alice@example.com'])).toEqual({
		to: [{ name: 'Bob', address: 'bob@example.com' }],
		cc: [],
	});
	const replyTo = reference({ replyTo: [{ name: '', address: 'soc@example.com' }] });
	expect(replyRecipients(replyTo, false, []).to.map((a) => a.address)).toEqual(['soc@example.com']);
	const all = replyRecipients(
		reference({
			cc: [
				{ name: '', address: 'bob@example.com' },
				{ name: '', address: 'dave@example.com' },
			],
		}),
		true,
		['alice@example.com'],
	);
	expect(all.to.map((a) => a.address)).toEqual(['bob@example.com']);
	expect(all.cc.map((a) => a.address)).toEqual(['carol@example.com', 'dave@example.com']);
});

test('a reply to my own sent message goes to its original recipients', () => {
	const own = reference({ from: { name: 'Alice', address: 'alice@example.com' } });
	expect(replyRecipients(own, false, ['alice@example.com']).to.map((a) => a.address)).toEqual([
		'carol@example.com',
	]);
});

test('Bcc is in the envelope only, never in the built message', async () => {
	const composed = composeMessage(
		input({ to: ['bob@example.com'], bcc: ['secret@example.com'], subject: 's', text: 't' }),
	);
	expect(composed.envelope.to).toEqual(['bob@example.com', 'secret@example.com']);
	const { raw } = await buildMessage(composed.mail);
	expect(raw.toString()).not.toContain('secret@example.com');
});

test('a reply without its original, and a message without recipients, name the field to fill', () => {
	expect(() => composeMessage(input({ action: 'reply' }))).toThrow(
		expect.objectContaining({ field: 'originalMessage' }),
	);
	expect(() => composeMessage(input({ subject: 'x' }))).toThrow(
		expect.objectContaining({ field: 'to' }),
	);
	expect(() => composeMessage(input({ to: ['not an address'] }))).toThrow(MailIntelError);
	expect(() =>
		composeMessage(input({ to: ['bob@example.com'], replyTo: ['soc at example'] })),
	).toThrow(expect.objectContaining({ code: 'INVALID_ADDRESS', field: 'replyTo' }));
});

test('address lists split on commas and semicolons, keeping quoted names with commas', () => {
	expect(splitAddressList('"Doe, Jane" <jane@example.com>; bob@example.com,\n')).toEqual([
		'"Doe, Jane" <jane@example.com>',
		'bob@example.com',
	]);
});

test('a message over the size cap is refused while it is built (the stream is not read to the end)', async () => {
	let produced = 0;
	const endless = async function* () {
		for (;;) {
			produced += 64 * 1024;
			yield Buffer.alloc(64 * 1024, 1);
		}
	};
	const composed = composeMessage(
		input({
			to: ['bob@example.com'],
			subject: 'big',
			attachments: [
				{
					filename: 'big.bin',
					open: async () => Readable.from(endless()),
				},
			],
		}),
	);
	const failure = await buildMessage(composed.mail, 1024 * 1024).catch((error: unknown) => error);
	expect(failure).toMatchObject({ code: 'MESSAGE_TOO_LARGE', field: 'attachments' });
	expect(produced).toBeLessThan(4 * 1024 * 1024);
});

test('line breaks in a subject, a name or an original Message-ID cannot add header fields', async () => {
	const composed = composeMessage(
		input({
			action: 'reply',
			from: { name: 'Alice\r\nBcc: leak@evil.example', address: 'alice@example.com' },
			subject: 'hello\r\nX-Injected: subject',
			text: 't',
			reference: reference({ messageId: '<m2@example.com>\r\nX-Injected: id' }),
		}),
	);
	const { raw } = await buildMessage(composed.mail);
	const header = raw.toString().split('\r\n\r\n')[0];
	expect(header).not.toMatch(/^X-Injected:/im);
	expect(header).not.toMatch(/^Bcc:/im);
});
