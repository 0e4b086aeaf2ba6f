import type { ParsedLocator } from '../mail/locator';
import type { ScanReport } from '../scan/types';
import type { RemediationPolicy } from './policy';
import type { RemediationResult } from './result';

/**
 * The provider seam: IMAP and Graph implement it today; Gmail (messages.insert + trash, labels)
 * plugs in later without touching the node or the policy code.
 */
export interface RemediationTarget {
	/** The item's locator, parsed (lib/mail/locator.ts). */
	ref: ParsedLocator;
	locator: string;
	/** The item's `scan` (lib/scan/types.ts), when a scan node ran before. */
	scan?: ScanReport;
}

export interface ReleaseOptions {
	/** The subject tag to take off again (the one the policy added); empty: leave the subject. */
	subjectTag: string;
}

export interface Remediator {
	remediate(target: RemediationTarget, policy: RemediationPolicy): Promise<RemediationResult>;
	/** Moves a quarantined message back to the folder recorded when it was quarantined. */
	release(target: RemediationTarget, options: ReleaseOptions): Promise<RemediationResult>;
	close(): Promise<void>;
}
