import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from './errors';

/** What one action node's router gives the shared item loop. */
export interface ItemLoop<R> {
	/**
	 * Opens what the whole execution shares (a client, a pooled session), on the first item:
	 * a failure then belongs to that item (its index in the error, continue-on-fail applies).
	 */
	open: () => Promise<R>;
	/** One item. */
	run: (itemIndex: number, resource: R) => Promise<INodeExecutionData[]>;
	/** Gives the resource back at the end, whatever happened. */
	close?: (resource: R) => Promise<void> | void;
	/** Makes a lib error speak in this node's terms before n8n's wrapping (default: unchanged). */
	explain?: (caught: unknown) => unknown;
}

/**
 * The item loop of every action node's router (Outlook v2's shape, written once): the
 * execution's resource opened once, the item index on every error, `pairedItem` on every
 * output item that has none, and continue-on-fail turning a failed item into an error item
 * while later items still run.
 */
export async function forEachItem<R>(
	context: IExecuteFunctions,
	loop: ItemLoop<R>,
): Promise<INodeExecutionData[]> {
	const items = context.getInputData();
	const returnData: INodeExecutionData[] = [];
	let resource: { value: R } | undefined;
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				resource ??= { value: await loop.open() };
				const output = await loop.run(itemIndex, resource.value);
				returnData.push(
					...output.map((item) => ({
						...item,
						pairedItem: item.pairedItem ?? { item: itemIndex },
					})),
				);
			} catch (caught) {
				const error = toNodeError(context.getNode(), loop.explain?.(caught) ?? caught, itemIndex);
				if (!context.continueOnFail()) throw error;
				returnData.push({
					json: {
						error: error.message,
						...(error.description ? { description: error.description } : {}),
					},
					pairedItem: { item: itemIndex },
				});
			}
		}
	} finally {
		if (resource && loop.close) await loop.close(resource.value);
	}
	return returnData;
}

/** The resource and operation the node runs (the same for every item, as n8n's UI sets them). */
export function selectedOperation<T>(context: IExecuteFunctions, defaultResource?: string): T {
	return {
		resource:
			defaultResource === undefined
				? context.getNodeParameter('resource', 0)
				: context.getNodeParameter('resource', 0, defaultResource),
		operation: context.getNodeParameter('operation', 0),
	} as T;
}
