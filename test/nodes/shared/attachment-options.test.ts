import { DEFAULT_POLICY } from '../../../lib/mail/policy';
import { attachmentOptions, policyFromParameters } from '../../../nodes/shared/attachment-options';

describe('attachment options', () => {
	it('shows the same defaults in the UI as the core applies', () => {
		const defaults = Object.fromEntries(
			attachmentOptions.map((option) => [option.name, option.default]),
		);
		expect(policyFromParameters(defaults)).toEqual(DEFAULT_POLICY);
		expect(policyFromParameters({})).toEqual(DEFAULT_POLICY);
	});

	it('turns the user values into a policy', () => {
		expect(
			policyFromParameters({
				attachmentMimeTypes: 'image/*, application/pdf',
				includeInline: true,
				maxAttachmentSizeMb: 0.5,
				maxTextChars: 10,
			}),
		).toEqual({
			mimeTypes: ['image/*', 'application/pdf'],
			includeInline: true,
			maxAttachmentBytes: 524288,
			maxTextChars: 10,
		});
	});
});
