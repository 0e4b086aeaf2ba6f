import { parseFilenameRules } from '../mail/filename-filter';
import { sanitizeFilename } from '../mail/filename';
import { mimeTypeAllowed } from '../mail/policy';
import type { ScanReport } from '../scan/types';
import type { RemediationPolicy } from './policy';

/** An attachment as the provider lists it now (IMAP BODYSTRUCTURE, Graph attachments). */
export interface PresentAttachment {
	/** IMAP MIME part path / Graph attachment id: the same id as `AttachmentInfo.id`. */
	id: string;
	filename: string;
	/** The DECLARED type, lower-case. */
	contentType: string;
	/** A placeholder this node left for an attachment it removed earlier: never removed again. */
	placeholder?: boolean;
}

export type RemovalReason = 'malicious' | 'filename' | 'mimeType';

export interface RemovalChoice {
	attachment: PresentAttachment;
	reason: RemovalReason;
	/** The engine's threat name, for a Malicious verdict. */
	threatType?: string;
}

/**
 * Which of the attachments present now are removed: those `scan` marks Malicious (matched by
 * `scan.files[].attachment.id` = `AttachmentInfo.id`), and those a filename rule or MIME pattern
 * selects. An id the scan names that is no longer present (removed by an earlier run) is simply
 * not chosen: that is what makes a second run change nothing.
 */
export function chooseAttachments(
	present: PresentAttachment[],
	policy: Pick<RemediationPolicy, 'deleteAttachments' | 'filenamePatterns' | 'mimePatterns'>,
	scan?: ScanReport,
): RemovalChoice[] {
	if (!policy.deleteAttachments) return [];
	const malicious = new Map<string, string | undefined>();
	for (const file of scan?.files ?? [])
		if (file.verdict === 'Malicious') malicious.set(file.attachment.id, file.threatType);
	const rules = parseFilenameRules(policy.filenamePatterns);
	const byName = (name: string) => rules.find((rule) => rule.test(name))?.include === true;
	const chosen: RemovalChoice[] = [];
	for (const attachment of present) {
		if (attachment.placeholder) continue;
		const name = sanitizeFilename(attachment.filename) ?? '';
		if (malicious.has(attachment.id)) {
			const threatType = malicious.get(attachment.id);
			chosen.push({ attachment, reason: 'malicious', ...(threatType ? { threatType } : {}) });
		} else if (rules.length > 0 && name && byName(name)) {
			chosen.push({ attachment, reason: 'filename' });
		} else if (
			policy.mimePatterns.length > 0 &&
			mimeTypeAllowed(attachment.contentType, policy.mimePatterns)
		) {
			chosen.push({ attachment, reason: 'mimeType' });
		}
	}
	return chosen;
}
