import { AttachmentPipeline } from '../../../lib/mail/attachments';
import {
	attachmentPath,
	compileFilenameFilter,
	parseFilenameRules,
} from '../../../lib/mail/filename-filter';
import { DEFAULT_POLICY, skipReasonFor } from '../../../lib/mail/policy';

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

	it('**/*.pdf does not keep a sent name "evil.exe/.pdf": the rules judge the sanitized name', () => {
		const keep = compileFilenameFilter('**/*.pdf')!;
		// The bug: the sender's name, pasted into the path, made "evil.exe" a folder.
		expect(keep('Inbox/evil.exe/.pdf')).toBe(true);
		expect(attachmentPath('Inbox', 'evil.exe/.pdf')).toBe('Inbox/pdf');
		expect(keep(attachmentPath('Inbox', 'evil.exe/.pdf'))).toBe(false);
		expect(keep(attachmentPath('Inbox', '../../report.pdf'))).toBe(true);
		// What a producer hands the policy: the pipeline's sanitized filename.
		const pipeline = new AttachmentPipeline({ policy: DEFAULT_POLICY });
		const info = pipeline.describe({
			id: '2',
			filename: 'evil.exe/.pdf',
			contentType: 'application/pdf',
			inline: false,
		});
		const policy = {
			...DEFAULT_POLICY,
			filenameFilter: (name: string) => keep(attachmentPath('Inbox', name)),
		};
		expect(info.filename).toBe('pdf');
		expect(skipReasonFor(info, policy)).toBe('filename');
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
