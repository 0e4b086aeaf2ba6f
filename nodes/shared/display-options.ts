import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/**
 * Scopes an operation's fields to its resource/operation. A local twin of n8n's
 * `updateDisplayOptions`, which older n8n-workflow releases (n8n 1.x) do not export.
 */
export function showFor(
	displayOptions: IDisplayOptions,
	properties: INodeProperties[],
): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...displayOptions.show, ...property.displayOptions?.show },
		},
	}));
}
