import {
	DEFAULT_POLICY,
	mimeTypeAllowed,
	parseMimeTypeList,
	skipReasonFor,
} from '../../../lib/mail/policy';

describe('parseMimeTypeList', () => {
	it('splits what users type (commas, spaces, new lines, semicolons) and lower-cases it', () => {
		expect(parseMimeTypeList('application/PDF, text/csv;\n image/*  ')).toEqual([
			'application/pdf',
			'text/csv',
			'image/*',
		]);
		expect(parseMimeTypeList('  ')).toEqual([]);
	});
});

describe('mimeTypeAllowed', () => {
	it('matches exact types, ignoring parameters and case', () => {
		expect(mimeTypeAllowed('application/pdf', ['application/pdf'])).toBe(true);
		expect(mimeTypeAllowed('Text/CSV; charset=utf-8', ['text/csv'])).toBe(true);
		expect(mimeTypeAllowed('application/pdfx', ['application/pdf'])).toBe(false);
		expect(mimeTypeAllowed('application/x-pdf', ['application/pdf'])).toBe(false);
	});

	it('matches type/* wildcards on the top-level type only', () => {
		expect(mimeTypeAllowed('image/png', ['image/*'])).toBe(true);
		expect(mimeTypeAllowed('image/svg+xml', ['image/*'])).toBe(true);
		expect(mimeTypeAllowed('application/image', ['image/*'])).toBe(false);
		expect(mimeTypeAllowed('imagex/png', ['image/*'])).toBe(false);
	});

	it('* and */* allow everything; an empty list allows nothing', () => {
		expect(mimeTypeAllowed('application/ms-tnef', ['*'])).toBe(true);
		expect(mimeTypeAllowed('application/ms-tnef', ['*/*'])).toBe(true);
		expect(mimeTypeAllowed('application/pdf', [])).toBe(false);
	});

	it('the default list is the OpenCTI connector default', () => {
		expect(DEFAULT_POLICY.mimeTypes).toEqual(['application/pdf', 'text/csv', 'text/plain']);
		expect(DEFAULT_POLICY.includeInline).toBe(false);
	});
});

describe('skipReasonFor', () => {
	const policy = { ...DEFAULT_POLICY, filenameFilter: (name: string) => !name.endsWith('.exe') };

	it('keeps an allowed real attachment', () => {
		expect(
			skipReasonFor({ contentType: 'application/pdf', inline: false, filename: 'a.pdf' }, policy),
		).toBeUndefined();
	});

	it('names the first reason: inline, then MIME type, then filename', () => {
		expect(
			skipReasonFor({ contentType: 'application/pdf', inline: true, filename: 'a.pdf' }, policy),
		).toBe('inline');
		expect(
			skipReasonFor({ contentType: 'image/png', inline: false, filename: 'a.png' }, policy),
		).toBe('mimeType');
		expect(
			skipReasonFor({ contentType: 'text/plain', inline: false, filename: 'run.exe' }, policy),
		).toBe('filename');
	});

	it('keeps inline parts when asked to', () => {
		expect(
			skipReasonFor(
				{ contentType: 'application/pdf', inline: true, filename: 'a.pdf' },
				{ ...policy, includeInline: true },
			),
		).toBeUndefined();
	});
});
