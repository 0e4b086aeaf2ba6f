import {
	MAX_PASSWORD_LENGTH,
	findArchivePassword,
	findArchivePasswords,
} from '../../../lib/scan/archive-password';

describe('findArchivePassword: the archive password written in an email', () => {
	test.each([
		['Password: Inv-2026!', 'Inv-2026!'],
		['the password is x7f2.', 'x7f2'],
		['PW = "s3cret"', 's3cret'],
		['Kennwort: Rechnung2026', 'Rechnung2026'],
		['pwd:abc123\nthanks', 'abc123'],
		['Passwort – geheim', 'geheim'],
	])('%j → %j', (text, expected) => {
		expect(findArchivePassword(text)).toBe(expected);
	});

	test('prose that mentions a password without giving one yields nothing', () => {
		expect(findArchivePassword('Please reset your password before Friday.')).toBeUndefined();
		expect(findArchivePassword('')).toBeUndefined();
		expect(findArchivePassword(undefined)).toBeUndefined();
	});

	test('a quoted thread: every distinct candidate in order, the first one used', () => {
		const text = 'Password: new-one\n> Password: old-one\n>> password: new-one';
		expect(findArchivePasswords(text)).toEqual(['new-one', 'old-one']);
	});

	test(`a token longer than ${MAX_PASSWORD_LENGTH} characters is not a password`, () => {
		expect(findArchivePassword(`password: ${'a'.repeat(MAX_PASSWORD_LENGTH + 1)}`)).toBeUndefined();
	});

	test('hostile text (megabytes of keywords and separators) gives a bounded answer', () => {
		const text = 'password: : : '.repeat(200_000) + 'password '.repeat(200_000);
		expect(findArchivePasswords(text).length).toBeLessThanOrEqual(5);
	});
});
