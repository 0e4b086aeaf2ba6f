import { formatLocator, parseLocator } from '../../../lib/mail/locator';

describe('locators', () => {
	it('IMAP: RFC 5092 style, account and mailbox segments percent-encoded, round trip', () => {
		const ref = {
			provider: 'imap' as const,
			account: 'alice@example.com',
			mailbox: 'Archive/2024 Q1;old',
			id: '77:5',
			uid: 5,
			uidValidity: '77',
		};
		const locator = formatLocator(ref, { host: 'imap.example.com', port: 993 });
		expect(locator).toBe(
			'imap://alice%40example.com@imap.example.com:993/Archive/2024%20Q1%3Bold;UIDVALIDITY=77/;UID=5',
		);
		expect(parseLocator(locator)).toEqual({ ...ref, host: 'imap.example.com', port: 993 });
	});

	it('IMAP: non-ASCII mailbox names and IPv6 hosts round trip', () => {
		const ref = {
			provider: 'imap' as const,
			account: 'bob',
			mailbox: 'Входящие/Фишинг',
			id: '1:2',
			uid: 2,
			uidValidity: '1',
		};
		const locator = formatLocator(ref, { host: '::1', port: 143 });
		expect(locator.startsWith('imap://bob@[::1]:143/')).toBe(true);
		expect(parseLocator(locator)).toEqual({ ...ref, host: '::1', port: 143 });
	});

	it('IMAP needs uid, uidValidity, host and port', () => {
		expect(() =>
			formatLocator(
				{ provider: 'imap', account: 'a', mailbox: 'INBOX', id: 'x' },
				{ host: 'h', port: 1 },
			),
		).toThrow(/uid and uidValidity/);
		expect(() =>
			formatLocator({
				provider: 'imap',
				account: 'a',
				mailbox: 'INBOX',
				id: 'x',
				uid: 1,
				uidValidity: '1',
			}),
		).toThrow(/host, port/);
	});

	it('Graph and Gmail ids are encoded (Graph ids contain / + =)', () => {
		const graph = formatLocator({
			provider: 'graph',
			account: 'soc@contoso.com',
			mailbox: 'inbox',
			id: 'AAMk/AG+x==',
		});
		expect(graph).toBe('graph://soc%40contoso.com/messages/AAMk%2FAG%2Bx%3D%3D');
		expect(parseLocator(graph)).toEqual({
			provider: 'graph',
			account: 'soc@contoso.com',
			mailbox: '',
			id: 'AAMk/AG+x==',
		});
		const gmail = formatLocator({
			provider: 'gmail',
			account: 'me',
			mailbox: 'INBOX',
			id: '18c2f',
		});
		expect(parseLocator(gmail)).toMatchObject({ provider: 'gmail', account: 'me', id: '18c2f' });
	});

	it('a file locator is not actionable; a wrong string names the accepted forms', () => {
		expect(formatLocator({ provider: 'file', account: '', mailbox: 'upload.eml', id: 'abc' })).toBe(
			'file:///upload.eml#abc',
		);
		expect(() => parseLocator('file:///upload.eml#abc')).toThrow(
			/imap:\/\/user@host:port\/MAILBOX;UIDVALIDITY=n\/;UID=n/,
		);
		expect(() => parseLocator('imap://a@h/INBOX;UID=1')).toThrow(TypeError);
	});
});
