import { MailIntelError } from '../../errors';
import type { GmailClient } from './client';

/** A label as `labels.list` / `labels.create` describe it. */
export interface GmailLabel {
	id: string;
	name: string;
	type?: 'system' | 'user';
}

export interface EnsureLabelOptions {
	/** Kept out of the label list and the message list (our bookkeeping labels). */
	hidden?: boolean;
}

/**
 * The mailbox's labels by name, for one remediation run: listed once (`labels.list`), and
 * created when missing (`labels.create`). A label is named by its name or its id, so `INBOX`,
 * `SPAM` (system labels, whose id is their name) and `Label_12` all work. Gmail compares names
 * without regard to case; so does this.
 */
export class GmailLabels {
	private byName?: Map<string, GmailLabel>;
	private byId?: Map<string, GmailLabel>;

	constructor(private readonly client: GmailClient) {}

	/** The label's id, or undefined when the mailbox has no such label. */
	async find(name: string): Promise<string | undefined> {
		await this.load();
		return (this.byId?.get(name) ?? this.byName?.get(name.toLowerCase()))?.id;
	}

	/** The label's name for an id (a label deleted meanwhile: undefined). */
	async nameOf(id: string): Promise<string | undefined> {
		await this.load();
		return this.byId?.get(id)?.name;
	}

	/** The label's id, the label created first when the mailbox has none of that name. */
	async ensure(name: string, options: EnsureLabelOptions = {}): Promise<string> {
		const found = await this.find(name);
		if (found) return found;
		try {
			const created = await this.client.json<GmailLabel>({
				method: 'POST',
				path: 'labels',
				body: {
					name,
					labelListVisibility: options.hidden ? 'labelHide' : 'labelShow',
					messageListVisibility: options.hidden ? 'hide' : 'show',
				},
			});
			this.remember(created);
			return created.id;
		} catch (error) {
			// Created meanwhile by another run (Gmail: 409 "Label name exists or conflicts").
			if (!(error instanceof MailIntelError) || error.status !== 409) throw error;
			this.byName = undefined;
			const raced = await this.find(name);
			if (raced) return raced;
			throw new MailIntelError(`Gmail refused to create the label "${name}": ${error.message}`, {
				source: 'gmail',
				code: 'LABEL_CONFLICT',
				status: 409,
				field: 'labels',
				hint: 'A label of that name conflicts with a system label or a nested label; choose another name.',
			});
		}
	}

	private async load(): Promise<void> {
		if (this.byName) return;
		const { labels = [] } = await this.client.json<{ labels?: GmailLabel[] }>({ path: 'labels' });
		this.byName = new Map();
		this.byId = new Map();
		for (const label of labels) this.remember(label);
	}

	private remember(label: GmailLabel): void {
		this.byName?.set(label.name.toLowerCase(), label);
		this.byId?.set(label.id, label);
	}
}
