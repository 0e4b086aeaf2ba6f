import type { ScanReport } from '../scan/types';
import { renderHtmlBanner, renderTextBanner, tagSubject, type BannerFacts } from './banner';
import { BANNER_HEADER } from './markers';
import type { RemediationPolicy } from './policy';
import { record, type RemediationResult } from './result';
import type { RewriteSpec } from './rewrite';
import { chooseAttachments, type PresentAttachment, type RemovalChoice } from './select';

/**
 * What a rewrite of a message (IMAP, Gmail: the providers that cannot edit a message in place)
 * changes, decided from the message as it is now: the same decisions for every such provider,
 * so a second run with the same policy finds everything done and rewrites nothing.
 */
export interface RewritePlan {
	choices: RemovalChoice[];
	/** The banner is missing (no BANNER_HEADER yet) and asked for. */
	banner: boolean;
	/** The subject does not start with the tag yet. */
	tag: boolean;
	/** The headers whose value differs from the policy's. */
	setHeaders: Array<[string, string]>;
	/** Anything at all to rewrite. */
	rewrite: boolean;
	facts: BannerFacts;
}

export interface MessageFacts {
	/** The decoded subject. */
	subject: string;
	/** The first value of a top-level header, undefined when absent. */
	header(name: string): string | undefined;
	/** The attachments present now, with the ids `AttachmentInfo.id` uses. */
	attachments: PresentAttachment[];
}

/** Decides the rewrite and records on `result` what the policy asks that is already so. */
export function planRewrite(
	message: MessageFacts,
	policy: RemediationPolicy,
	scan: ScanReport | undefined,
	result: RemediationResult,
): RewritePlan {
	const choices = chooseAttachments(message.attachments, policy, scan);
	const banner = policy.banner && message.header(BANNER_HEADER) === undefined;
	const tag = tagSubject(message.subject, policy.subjectTag).added;
	const setHeaders = Object.entries(policy.headers).filter(
		([name, value]) => message.header(name) !== value,
	);
	if (policy.deleteAttachments && choices.length === 0) record(result, 'deleteAttachment', false);
	if (policy.banner && !banner) record(result, 'banner', false);
	if (policy.subjectTag && !tag) record(result, 'subjectTag', false);
	if (Object.keys(policy.headers).length > 0 && setHeaders.length === 0)
		record(result, 'headers', false);
	return {
		choices,
		banner,
		tag,
		setHeaders,
		rewrite: choices.length > 0 || banner || tag || setHeaders.length > 0,
		facts: {
			subject: message.subject,
			removedFiles: choices.map(({ attachment }) => attachment.filename),
			...(scan ? { verdict: scan.verdict } : {}),
		},
	};
}

/** The rewriter's instructions for a plan. */
export function rewriteSpecOf(
	plan: RewritePlan,
	policy: RemediationPolicy,
	rewriteOf: string,
	extraHeaders: Array<[string, string]> = [],
): RewriteSpec {
	return {
		remove: new Map(
			plan.choices.map(({ attachment }) => [
				attachment.id,
				{ filename: attachment.filename, contentType: attachment.contentType },
			]),
		),
		headers: [...plan.setHeaders, ...extraHeaders],
		...(plan.tag ? { subjectTag: policy.subjectTag } : {}),
		...(plan.banner
			? {
					htmlBanner: renderHtmlBanner(policy, plan.facts),
					textBanner: renderTextBanner(plan.facts),
				}
			: {}),
		rewriteOf,
	};
}

/**
 * Records a finished rewrite on `result`: the attachments removed and the actions done. `outcome`
 * is what the rewriter did this run; undefined when an earlier, interrupted run had made the
 * rewrite and this one only finished it.
 */
export function recordRewrite(
	result: RemediationResult,
	plan: RewritePlan,
	outcome: { htmlBanner: boolean; textBanner: boolean } | undefined,
): void {
	if (outcome && plan.banner && !outcome.htmlBanner && !outcome.textBanner)
		result.refused.push({
			action: 'banner',
			reason: 'the message has no text or HTML body to put it in',
		});
	if (outcome?.htmlBanner) record(result, 'banner', true);
	if (outcome?.textBanner) record(result, 'textBanner', true);
	for (const choice of plan.choices)
		result.removedAttachments.push({
			id: choice.attachment.id,
			filename: choice.attachment.filename,
			contentType: choice.attachment.contentType,
			reason: choice.reason,
			...(choice.threatType ? { threatType: choice.threatType } : {}),
		});
	if (plan.choices.length > 0) record(result, 'deleteAttachment', true);
	if (plan.tag) record(result, 'subjectTag', true);
	if (plan.setHeaders.length > 0) record(result, 'headers', true);
	if (
		plan.banner &&
		!result.done.includes('banner') &&
		!result.done.includes('textBanner') &&
		!result.refused.length
	)
		record(result, 'banner', true);
}
