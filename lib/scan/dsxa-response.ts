import { MailIntelError } from '../errors';
import { SCANNER_INITIALIZING } from './run';
import type { EngineVerdict, Verdict } from './types';

/**
 * DSXA's answer (`POST /scan/binary/v2`, `/scan/by_hash`) in the pack's verdict model. Two
 * documented shapes (/work/shared/apis/dsx/dsxa-openapi.derived.json, ScanResponse): the flat
 * one (`verdict_details`, `file_info` in snake_case) and the one some builds send, with those
 * nested under `details` in camelCase (`details.verdictDetails.threatType`). The DSXA Python
 * SDK reads both; so do we.
 */
export interface DsxaAnswer {
	verdict: string;
	scanId?: string;
	eventDescription?: string;
	reason?: string;
	threatType?: string;
	fileHash?: string;
}

type Json = Record<string, unknown>;

/** What a missing or malformed part reads as: one shared empty object, nothing per answer. */
const NOTHING: Json = Object.freeze({});
const asObject = (value: unknown): Json =>
	value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : NOTHING;
const asText = (value: unknown): string | undefined =>
	typeof value === 'string' && value.length > 0 ? value : undefined;

// Each field is read by its literal names, `snake_case` or `camelCase`, whichever the build sent:
// named reads stay fast where a helper taking the names as strings made every read a keyed,
// megamorphic lookup (this runs once per scanned file).
export function readDsxaAnswer(body: unknown): DsxaAnswer {
	const root = asObject(body);
	const details = asObject(root.details);
	const verdictDetails = asObject(
		root.verdict_details ??
			root.verdictDetails ??
			details.verdict_details ??
			details.verdictDetails,
	);
	const fileInfo = asObject(
		root.file_info ?? root.fileInfo ?? details.file_info ?? details.fileInfo,
	);
	const verdict = asText(root.verdict) ?? asText(details.verdict);
	if (!verdict)
		throw new MailIntelError('the DSXA scanner answered without a verdict', {
			source: 'dsx',
			code: 'BAD_RESPONSE',
			retryable: true,
			hint: 'Check that the scanner URL points at a DSXA scanner (its /scan/binary/v2 answers JSON with a verdict).',
		});
	const answer: DsxaAnswer = { verdict };
	const scanGuid = asText(root.scan_guid ?? root.scanGuid ?? details.scan_guid ?? details.scanGuid);
	const eventDescription = asText(
		verdictDetails.event_description ?? verdictDetails.eventDescription,
	);
	const reason = asText(verdictDetails.reason);
	const threatType = asText(verdictDetails.threat_type ?? verdictDetails.threatType);
	const fileHash = asText(fileInfo.file_hash ?? fileInfo.fileHash);
	if (scanGuid) answer.scanId = scanGuid;
	if (eventDescription) answer.eventDescription = eventDescription;
	if (reason) answer.reason = reason;
	if (threatType) answer.threatType = threatType;
	if (fileHash) answer.fileHash = fileHash;
	return answer;
}

const INITIALIZING = /initiali[sz]/i;

/**
 * Maps DSXA's seven verdicts onto the model. "Not Scanned" while the scanner is initializing
 * is thrown as retryable (the runner waits and sends again); "Scanning" (an asynchronous scan
 * still running) and other "Not Scanned" answers are NotScanned with DSXA's reason;
 * "Non Compliant" (the file breaks the protected entity's policy) is Unknown: judged, but not
 * as benign; an unrecognised verdict is Unknown too, never Benign.
 */
export function toEngineVerdict(answer: DsxaAnswer): EngineVerdict {
	// Plain assignments rather than spreads of conditional objects and a filtered array: this
	// runs once per scanned file, and those allocations showed in a small upload's profile.
	const why = describeAnswer(answer);
	switch (answer.verdict) {
		case 'Benign':
			return judged('Benign', answer, why);
		case 'Malicious': {
			const verdict = judged('Malicious', answer, why);
			if (answer.threatType) verdict.threatType = answer.threatType;
			return verdict;
		}
		case 'Unknown':
			return judged('Unknown', answer, why);
		case 'Unsupported File Type':
			return judged('Unsupported', answer, why ?? 'Unsupported File Type');
		case 'Not Scanned':
			if (why && INITIALIZING.test(why))
				throw new MailIntelError(`the DSXA scanner is initializing (${why})`, {
					source: 'dsx',
					code: SCANNER_INITIALIZING,
					retryable: true,
					hint: 'The scanner is still starting; the scan is retried with backoff.',
				});
			return judged('NotScanned', answer, why ?? 'Not Scanned');
		case 'Scanning':
			return judged('NotScanned', answer, `scanning${why ? `: ${why}` : ''}`);
		case 'Non Compliant':
			return judged('Unknown', answer, `non-compliant${why ? `: ${why}` : ''}`);
		default:
			return judged('Unknown', answer, `unrecognised DSXA verdict "${answer.verdict}"`);
	}
}

/** DSXA's event description and reason, "description: reason", or undefined when it gave none. */
function describeAnswer(answer: DsxaAnswer): string | undefined {
	const { eventDescription, reason } = answer;
	if (eventDescription && reason) return `${eventDescription}: ${reason}`;
	return eventDescription || reason || undefined;
}

/** The verdict with DSXA's scan id and the reason, when there is one (keys in that order). */
function judged(verdict: Verdict, answer: DsxaAnswer, reason: string | undefined): EngineVerdict {
	const result: EngineVerdict = { verdict };
	if (answer.scanId) result.scanId = answer.scanId;
	if (reason) result.reason = reason;
	return result;
}
