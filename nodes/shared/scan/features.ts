/** What an engine's node offers beyond the common scan options. */
export interface ScanFeatures {
	/** Reputation by SHA-256 before uploading (DSXA /scan/by_hash). */
	hashFirst: boolean;
	/** Passwords for protected archives (DSXA scan_password; clamd has none). */
	archivePassword: boolean;
}

/** The three outputs of a scan node, in order. */
export const SCAN_OUTPUT_NAMES = ['Malicious', 'Clean', 'Not Scanned'] as const;
