import type { Readable } from 'node:stream';

/**
 * One verdict model for every scanning engine (DSXA, dsx-connect, ClamAV), so the scan nodes,
 * the remediation node and OpenCTI never care which engine answered. Written on each item as
 * `scan` (ScanReport) next to the normalized email's `attachments[]`.
 */

/**
 * `Unsupported`: the engine cannot judge this file type. `NotScanned`: the pack did not send it
 * (over the size cap, no bytes, already scanned earlier) or the engine declined (see `reason`).
 * `Error`: the scan failed after the transport's retries; `reason` says why.
 */
export type Verdict = 'Benign' | 'Malicious' | 'Unknown' | 'Unsupported' | 'NotScanned' | 'Error';

/** Worst first: the overall verdict of an email is the worst verdict of its files. */
export const VERDICT_SEVERITY: readonly Verdict[] = [
	'Malicious',
	'Error',
	'Unknown',
	'Unsupported',
	'NotScanned',
	'Benign',
];

export type ScanEngineName = 'dsxa' | 'dsx-connect' | 'clamav';

/** Which file a verdict is about: enough to find the bytes again and to show a user. */
export interface ScannedFile {
	/** `AttachmentInfo.id` for an email attachment; the binary property name for a plain file. */
	id: string;
	filename: string;
	/** Hex SHA-256 of the bytes scanned; absent when the bytes were never read. */
	sha256?: string;
	size: number;
	/** The n8n binary property that holds the bytes, when there is one. */
	binaryProperty?: string;
}

export interface FileVerdict {
	attachment: ScannedFile;
	verdict: Verdict;
	/** Engine-specific threat name or class (`EICAR-Test-File`, `Ransomware`, ...), when malicious. */
	threatType?: string;
	/** Why: the engine's reason text, `size` (over the cap), `duplicate` (scanned before), `initializing`... */
	reason?: string;
	engine: ScanEngineName;
	/** The engine's own id for this scan (DSXA `scan_guid`, a dsx-connect request id), when it gives one. */
	scanId?: string;
	/** Wall time of this file's scan as the pack measured it. */
	durationMs: number;
}

/** What a scan node adds to each item as `scan`. */
export interface ScanReport {
	/** Worst of `files[].verdict` (VERDICT_SEVERITY); `NotScanned` when there were no files. */
	verdict: Verdict;
	engine: ScanEngineName;
	files: FileVerdict[];
	/** ISO-8601 UTC time the scan finished. */
	scannedAt: string;
}

/** One file handed to an engine: the bytes as a stream, never a whole buffer. */
export interface ScanInput {
	file: ScannedFile;
	/** Opens the bytes; called at most once per attempt (a retry opens them again). */
	open(): Promise<Readable>;
	/** Sent to engines that accept it (DSXA `X-Custom-Metadata`): message and attachment ids. */
	metadata?: Record<string, string>;
	/** Password for a protected archive (DSXA `scan_password`). */
	archivePassword?: string;
	signal?: AbortSignal;
}

/** What one engine answers for one file (the runner adds `attachment`, `engine`, `durationMs`). */
export interface EngineVerdict {
	verdict: Verdict;
	threatType?: string;
	reason?: string;
	scanId?: string;
}

/** An engine: DSXA over HTTP, clamd over INSTREAM, ... Throws MailIntelError on failure. */
export interface ScanEngine {
	readonly name: ScanEngineName;
	scan(input: ScanInput): Promise<EngineVerdict>;
	/** Optional reputation lookup by SHA-256 (DSXA `/scan/by_hash`); undefined = not known. */
	byHash?(sha256: string, file: ScannedFile): Promise<EngineVerdict | undefined>;
	close?(): Promise<void>;
}
