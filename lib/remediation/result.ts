import type { ProviderName } from '../mail/types';
import type { RemovalReason } from './select';

/**
 * The audit record of one remediation, written on the item as `remediation`: where the message
 * was and is now, what was done, what was already so, and what was refused and why. A user (or
 * a SIEM) reads it to know exactly what happened to a message without asking the server.
 */
export type RemediationAction =
	| 'deleteAttachment'
	| 'banner'
	| 'textBanner'
	| 'subjectTag'
	| 'headers'
	| 'categories'
	| 'auditCopy'
	| 'quarantine'
	| 'release';

export interface MessageLocation {
	id: string;
	locator: string;
	mailbox: string;
}

export interface RefusedAction {
	action: RemediationAction;
	reason: string;
	/** What was done instead (Graph: categories when body/subject/headers cannot be changed). */
	fallback?: string;
}

export interface RemovedAttachment {
	id: string;
	filename: string;
	contentType: string;
	reason: RemovalReason;
	threatType?: string;
}

export interface RemediationResult {
	provider: ProviderName;
	operation: 'remediate' | 'release';
	before: MessageLocation;
	after: MessageLocation;
	/** The untouched original's copy, when one was made (or found from an earlier attempt). */
	audit?: MessageLocation;
	/** Actions that changed the message in this run. */
	done: RemediationAction[];
	/** Actions the policy asks for that were already in effect (a second run lists them here). */
	alreadyDone: RemediationAction[];
	refused: RefusedAction[];
	removedAttachments: RemovedAttachment[];
	/** True when this run changed anything at all. */
	changed: boolean;
	/** Things a user should know (e.g. "Graph cannot set headers on received mail: categories instead"). */
	notes: string[];
}

export function emptyResult(
	provider: ProviderName,
	operation: RemediationResult['operation'],
	before: MessageLocation,
): RemediationResult {
	return {
		provider,
		operation,
		before,
		after: before,
		done: [],
		alreadyDone: [],
		refused: [],
		removedAttachments: [],
		changed: false,
		notes: [],
	};
}

/** Records `action` as done or already done, once. */
export function record(
	result: RemediationResult,
	action: RemediationAction,
	changed: boolean,
): void {
	const list = changed ? result.done : result.alreadyDone;
	if (!list.includes(action)) list.push(action);
	if (changed) result.changed = true;
}
