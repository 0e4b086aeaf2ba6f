import { compileFilenameFilter, parseFilenameRules } from '../../../lib/mail/filename-filter';

describe('rsync-style attachment filename filter', () => {
	it('keeps everything without rules', () => {
		expect(compileFilenameFilter('')).toBeUndefined();
		expect(compileFilenameFilter('  \n# only a comment\n')).toBeUndefined();
	});

	it('**/*.docx keeps .docx anywhere and works as an allow-list', () => {
		const keep = compileFilenameFilter('**/*.docx')!;
		expect(keep('Inbox/report.docx')).toBe(true);
		expect(keep('Inbox/Sub/deep/report.DOCX')).toBe(true);
		expect(keep('report.docx')).toBe(true);
		expect(keep('Inbox/report.pdf')).toBe(false);
	});

	it('- tmp/ excludes what lies under a tmp folder, other files stay (no include rules)', () => {
		const keep = compileFilenameFilter('- tmp/')!;
		expect(keep('tmp/a.pdf')).toBe(false);
		expect(keep('Inbox/tmp/a.pdf')).toBe(false);
		expect(keep('Inbox/a.pdf')).toBe(true);
		expect(keep('Inbox/tmp.pdf')).toBe(true);
	});

	it('first match wins, as in rsync', () => {
		const keep = compileFilenameFilter('- **/secret*.docx\n**/*.docx\n+ *.pdf')!;
		expect(keep('Inbox/secret-plan.docx')).toBe(false);
		expect(keep('Inbox/plan.docx')).toBe(true);
		expect(keep('Finance/q3.pdf')).toBe(true);
		expect(keep('Finance/q3.xlsx')).toBe(false);
	});

	it('* stays within one segment, ? is one character, a leading / anchors', () => {
		expect(compileFilenameFilter('Inbox/*.zip')!('Inbox/a.zip')).toBe(true);
		expect(compileFilenameFilter('/Inbox/*.zip')!('Archive/Inbox/a.zip')).toBe(false);
		expect(compileFilenameFilter('Inbox/*.zip')!('Archive/Inbox/a.zip')).toBe(true);
		expect(compileFilenameFilter('/*.zip')!('Inbox/a.zip')).toBe(false);
		expect(compileFilenameFilter('invoice-??.pdf')!('Inbox/invoice-07.pdf')).toBe(true);
		expect(compileFilenameFilter('invoice-??.pdf')!('Inbox/invoice-007.pdf')).toBe(false);
		expect(compileFilenameFilter('Inbox/')!('Inbox/x.bin')).toBe(true);
		expect(compileFilenameFilter('Inbox/')!('Finance/x.bin')).toBe(false);
	});

	it('names the field and the fix for an empty rule', () => {
		expect(() => parseFilenameRules('-')).toThrow(
			expect.objectContaining({
				field: 'attachmentFilter',
				hint: expect.stringContaining('one rule per line'),
			}),
		);
	});
});
