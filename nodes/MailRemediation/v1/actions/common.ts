import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { MailIntelError } from '../../../../lib/errors';
import { parseLocator } from '../../../../lib/mail/locator';
import type { RemediationResult, RemediationTarget } from '../../../../lib/remediation';
import type { ScanReport } from '../../../../lib/scan/types';

/**
 * The message an item names: its `locator` (parameter, `{{ $json.locator }}` by default), the
 * item's `provider` when it has one (it must agree with the locator), and the item's `scan`.
 */
export function targetOf(context: IExecuteFunctions, itemIndex: number): RemediationTarget {
	const locator = String(context.getNodeParameter('locator', itemIndex, '') ?? '').trim();
	if (!locator)
		throw new MailIntelError('the item has no message locator', {
			source: 'config',
			code: 'BAD_LOCATOR',
			field: 'locator',
			hint: 'Connect the node to an email trigger (its items carry `locator`), or set Message Locator.',
		});
	let ref;
	try {
		ref = parseLocator(locator);
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message, {
			itemIndex,
			description: 'Field to check: locator',
		});
	}
	const json = context.getInputData()[itemIndex]?.json ?? {};
	const provider = typeof json.provider === 'string' ? json.provider : undefined;
	if (provider && provider !== ref.provider)
		throw new MailIntelError(
			`the item says provider "${provider}" but its locator is a ${ref.provider} locator`,
			{
				source: 'config',
				code: 'BAD_LOCATOR',
				field: 'locator',
			},
		);
	const scan = isScanReport(json.scan) ? json.scan : undefined;
	return { ref, locator, ...(scan ? { scan } : {}) };
}

function isScanReport(value: unknown): value is ScanReport {
	return typeof value === 'object' && value !== null && Array.isArray((value as ScanReport).files);
}

/** The item out: the input item with the message's new place (`locator`, `id`, `mailbox`) and the audit record. */
export function outputItem(
	context: IExecuteFunctions,
	itemIndex: number,
	result: RemediationResult,
): INodeExecutionData {
	const input = context.getInputData()[itemIndex];
	const moved = result.after.locator
		? { locator: result.after.locator, id: result.after.id, mailbox: result.after.mailbox }
		: {};
	return {
		json: { ...input.json, ...moved, remediation: result as unknown as IDataObject },
		...(input.binary ? { binary: input.binary } : {}),
		pairedItem: { item: itemIndex },
	};
}

export const locatorField = {
	displayName: 'Message Locator',
	name: 'locator',
	type: 'string' as const,
	default: '={{ $json.locator }}',
	required: true,
	description:
		'The message to act on, as the Email Intel triggers write it: imap://user@host:port/FOLDER;UIDVALIDITY=n/;UID=n, graph://user@contoso.com/messages/{ID} or gmail://me/messages/{ID}',
};
