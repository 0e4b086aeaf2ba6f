import { MailIntelError } from '../../errors';
import { formatLocator } from '../../mail/locator';
import {
	prependHtmlBanner,
	prependTextBanner,
	renderHtmlBanner,
	renderTextBanner,
	tagSubject,
	untagSubject,
} from '../../remediation/banner';
import {
	FALLBACK_CATEGORY,
	GRAPH_AUDIT_PROPERTY,
	GRAPH_ORIGIN_PROPERTY,
	QUARANTINE_CATEGORY,
} from '../../remediation/markers';
import type { RemediationPolicy } from '../../remediation/policy';
import {
	emptyResult,
	record,
	type MessageLocation,
	type RemediationAction,
	type RemediationResult,
} from '../../remediation/result';
import { chooseAttachments } from '../../remediation/select';
import type { ReleaseOptions, RemediationTarget, Remediator } from '../../remediation/types';
import { userPath, type GraphClient } from './client';
import type { FolderResolver } from './folders';
import type { GraphAttachment, GraphMessage } from './message';

/**
 * Remediation on Microsoft 365 through Graph, with the calls seed 004 lists: `DELETE
 * …/attachments/{id}`, `PATCH` of body and subject (best effort: Graph may refuse it on received
 * mail; then a category says so and the result lists it as refused), `PATCH` categories (merged
 * with the user's own), `POST …/copy` for the audit copy and `POST …/move` for quarantine, with
 * `Prefer: IdType="ImmutableId"` (GraphClient sends it on every call) so ids survive moves. POSTs
 * are never retried blindly (GraphClient: not idempotent); the PATCHes set whole values and are.
 * Graph cannot set internet headers on received mail: requested X-headers become categories
 * `Name: value`, and the result says so. The folder a message was quarantined from is kept in a
 * single-value extended property (GRAPH_ORIGIN_PROPERTY), invisible in Outlook; Release reads it.
 */

interface RemediationMessage extends GraphMessage {
	singleValueExtendedProperties?: Array<{ id: string; value: string }>;
}

const SELECT = 'id,subject,body,categories,parentFolderId';
const EXPAND = `singleValueExtendedProperties($filter=id eq '${GRAPH_ORIGIN_PROPERTY}' or id eq '${GRAPH_AUDIT_PROPERTY}')`;

/** Graph's answers to a content PATCH it will not do on this message: fall back, never fail the item. */
const CONTENT_REFUSED = new Set([400, 403, 405]);

export class GraphRemediator implements Remediator {
	constructor(
		private readonly client: GraphClient,
		private readonly folders: FolderResolver,
	) {}

	async remediate(
		target: RemediationTarget,
		policy: RemediationPolicy,
	): Promise<RemediationResult> {
		const { upn, id } = this.checked(target);
		const result = emptyResult('graph', 'remediate', this.location(upn, id, ''));
		const message = await this.message(upn, id);
		result.before = this.location(upn, id, message.parentFolderId ?? '');
		const attachments = await this.attachments(upn, id);
		const choices = chooseAttachments(
			attachments.map((attachment) => ({
				id: attachment.id,
				filename: attachment.name ?? '',
				contentType: (attachment.contentType ?? 'application/octet-stream').toLowerCase(),
			})),
			policy,
			target.scan,
		);
		const subject = message.subject ?? '';
		const content = message.body?.content ?? '';
		const html = message.body?.contentType !== 'text';
		const facts = {
			subject,
			removedFiles: choices.map(({ attachment }) => attachment.filename),
			...(target.scan ? { verdict: target.scan.verdict } : {}),
		};
		const body = !policy.banner ? undefined : withBanner(content, html, policy, facts);
		const tag = tagSubject(subject, policy.subjectTag);
		const categories = new Set(message.categories ?? []);
		const categoriesBefore = categories.size;

		if (policy.deleteAttachments && choices.length === 0) record(result, 'deleteAttachment', false);
		if (body && !body.added) record(result, 'banner', false);
		if (policy.subjectTag && !tag.added) record(result, 'subjectTag', false);

		if (choices.length > 0 || body?.added || tag.added) {
			if (policy.auditFolder) {
				const folder = await this.folders.ensure(upn, policy.auditFolder);
				const earlier = property(message, GRAPH_AUDIT_PROPERTY);
				if (earlier) {
					result.audit = this.location(upn, earlier, folder);
					result.notes.push(
						'the audit copy an interrupted earlier run made is kept; no second copy',
					);
				} else {
					const { data: copy } = await this.client.json<GraphMessage>({
						method: 'POST',
						url: `${this.messagePath(upn, id)}/copy`,
						mailbox: upn,
						body: { destinationId: folder },
					});
					// Recorded on the original before it is changed: a retry finds the copy.
					await this.patch(upn, id, {
						singleValueExtendedProperties: [{ id: GRAPH_AUDIT_PROPERTY, value: copy.id }],
					});
					result.audit = this.location(upn, copy.id, folder);
					record(result, 'auditCopy', true);
				}
			}
			for (const { attachment, reason, threatType } of choices) {
				await this.client.json({
					method: 'DELETE',
					url: `${this.messagePath(upn, id)}/attachments/${encodeURIComponent(attachment.id)}`,
					mailbox: upn,
					accept: [404], // gone already: an earlier attempt deleted it
				});
				result.removedAttachments.push({
					id: attachment.id,
					filename: attachment.filename,
					contentType: attachment.contentType,
					reason,
					...(threatType ? { threatType } : {}),
				});
			}
			if (choices.length > 0) record(result, 'deleteAttachment', true);
			const patch: Record<string, unknown> = {};
			const asked: RemediationAction[] = [];
			if (body?.added) {
				patch.body = { contentType: html ? 'html' : 'text', content: body.content };
				asked.push(html ? 'banner' : 'textBanner');
			}
			if (tag.added) {
				patch.subject = tag.subject;
				asked.push('subjectTag');
			}
			if (asked.length > 0) {
				const refused = await this.patchContent(upn, id, patch);
				if (refused) {
					categories.add(FALLBACK_CATEGORY);
					for (const action of asked)
						result.refused.push({
							action,
							reason: refused,
							fallback: `category "${FALLBACK_CATEGORY}"`,
						});
				} else for (const action of asked) record(result, action, true);
			}
		}

		const headerCategories = Object.entries(policy.headers).map(
			([name, value]) => `${name}: ${value}`,
		);
		if (headerCategories.length > 0)
			result.notes.push(
				'Microsoft 365: Graph cannot set headers on received mail; the X-headers were added as categories instead',
			);
		const headersMissing = headerCategories.filter((name) => !categories.has(name));
		const wanted = policy.categories.filter((name) => !categories.has(name));
		for (const name of [...headersMissing, ...wanted]) categories.add(name);
		if (headerCategories.length > 0) record(result, 'headers', headersMissing.length > 0);
		if (policy.categories.length > 0) record(result, 'categories', wanted.length > 0);

		let current = { id, folder: message.parentFolderId ?? '' };
		if (policy.quarantineFolder) {
			const folder = await this.folders.ensure(upn, policy.quarantineFolder);
			if (folder === message.parentFolderId) record(result, 'quarantine', false);
			else {
				categories.add(QUARANTINE_CATEGORY);
				// The origin is written before the move: a move whose answer is lost still leaves a releasable message.
				await this.patch(upn, id, {
					categories: [...categories],
					singleValueExtendedProperties: [
						{ id: GRAPH_ORIGIN_PROPERTY, value: message.parentFolderId ?? '' },
					],
				});
				const { data: moved } = await this.client.json<GraphMessage>({
					method: 'POST',
					url: `${this.messagePath(upn, id)}/move`,
					mailbox: upn,
					body: { destinationId: folder },
				});
				current = { id: moved.id, folder };
				record(result, 'quarantine', true);
			}
		} else if (categories.size !== categoriesBefore) {
			await this.patch(upn, id, { categories: [...categories] });
		}
		result.after = this.location(upn, current.id, current.folder);
		return result;
	}

	async release(target: RemediationTarget, options: ReleaseOptions): Promise<RemediationResult> {
		const { upn, id } = this.checked(target);
		const message = await this.message(upn, id);
		const result = emptyResult(
			'graph',
			'release',
			this.location(upn, id, message.parentFolderId ?? ''),
		);
		const origin = property(message, GRAPH_ORIGIN_PROPERTY);
		if (!origin || !(message.categories ?? []).includes(QUARANTINE_CATEGORY))
			throw new MailIntelError(`the message ${id} was not quarantined by this node`, {
				source: 'graph',
				code: 'NOT_QUARANTINED',
				hint: `Release works on messages the Remediate operation moved (category "${QUARANTINE_CATEGORY}").`,
			});
		const { data: moved } = await this.client.json<GraphMessage>({
			method: 'POST',
			url: `${this.messagePath(upn, id)}/move`,
			mailbox: upn,
			body: { destinationId: origin },
		});
		record(result, 'release', true);
		await this.patch(upn, moved.id, {
			categories: (message.categories ?? []).filter((name) => name !== QUARANTINE_CATEGORY),
		});
		const subject = untagSubject(message.subject ?? '', options.subjectTag);
		if (subject !== (message.subject ?? '')) {
			const refused = await this.patchContent(upn, moved.id, { subject });
			if (refused) result.refused.push({ action: 'subjectTag', reason: refused });
		}
		result.after = this.location(upn, moved.id, origin);
		return result;
	}

	async close(): Promise<void> {
		// The client holds no connection of its own (lib/http's agents are shared).
	}

	private checked(target: RemediationTarget): { upn: string; id: string } {
		if (target.ref.provider !== 'graph' || !target.ref.id)
			throw new MailIntelError(`"${target.locator}" is not a Microsoft 365 message locator`, {
				source: 'config',
				code: 'BAD_LOCATOR',
				field: 'locator',
				hint: 'Give the locator of an item from a Microsoft 365 trigger: graph://user@contoso.com/messages/{id}.',
			});
		return { upn: target.ref.account, id: target.ref.id };
	}

	private async message(upn: string, id: string): Promise<RemediationMessage> {
		const { data } = await this.client.json<RemediationMessage>({
			method: 'GET',
			url: `${this.messagePath(upn, id)}?$select=${SELECT}&$expand=${encodeURIComponent(EXPAND)}`,
			mailbox: upn,
		});
		return data;
	}

	private async attachments(upn: string, id: string): Promise<GraphAttachment[]> {
		const { data } = await this.client.json<{ value?: GraphAttachment[] }>({
			method: 'GET',
			url: `${this.messagePath(upn, id)}/attachments?$select=id,name,contentType,size,isInline`,
			mailbox: upn,
		});
		return data.value ?? [];
	}

	/** A PATCH of whole values: sending it twice has the same effect, so the transport may retry it. */
	private async patch(upn: string, id: string, body: Record<string, unknown>): Promise<void> {
		await this.client.json({
			method: 'PATCH',
			url: this.messagePath(upn, id),
			mailbox: upn,
			body,
			idempotent: true,
		});
	}

	/** PATCH of body/subject; returns why Graph refused it (received mail), or undefined when done. */
	private async patchContent(
		upn: string,
		id: string,
		body: Record<string, unknown>,
	): Promise<string | undefined> {
		try {
			await this.patch(upn, id, body);
			return undefined;
		} catch (error) {
			if (
				error instanceof MailIntelError &&
				error.status !== undefined &&
				CONTENT_REFUSED.has(error.status)
			)
				return `Graph refused to change the message (${error.status}${error.code ? ` ${error.code}` : ''})`;
			throw error;
		}
	}

	private messagePath(upn: string, id: string): string {
		return `${userPath(upn)}/messages/${encodeURIComponent(id)}`;
	}

	private location(upn: string, id: string, mailbox: string): MessageLocation {
		return {
			id,
			mailbox,
			locator: formatLocator({ provider: 'graph', account: upn, mailbox, id }),
		};
	}
}

/** The body with the banner in front (HTML, or the text banner for a text body), unless it has one. */
function withBanner(
	content: string,
	html: boolean,
	policy: RemediationPolicy,
	facts: Parameters<typeof renderTextBanner>[0],
): { content: string; added: boolean } {
	if (html) {
		const result = prependHtmlBanner(content, renderHtmlBanner(policy, facts));
		return { content: result.html, added: result.added };
	}
	const result = prependTextBanner(content, renderTextBanner(facts));
	return { content: result.text, added: result.added };
}

/** One of our single-value extended properties of a message, when it has it. */
function property(message: RemediationMessage, id: string): string | undefined {
	return (
		message.singleValueExtendedProperties?.find(
			(candidate) => candidate.id.toLowerCase() === id.toLowerCase(),
		)?.value || undefined
	);
}
