import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { showFor } from '../../../../shared/display-options';
import type { Remediators } from '../../transport';
import { locatorField, outputItem, targetOf } from '../common';

const properties: INodeProperties[] = [
	{
		...locatorField,
		description:
			'The quarantined message (the `locator` the Remediate operation wrote on its output item)',
	},
	{
		displayName: 'Subject Tag to Remove',
		name: 'subjectTag',
		type: 'string',
		default: '',
		placeholder: '[Suspicious]',
		description:
			'The tag Remediate put in front of the subject, taken off again (Microsoft 365; an IMAP or Gmail message keeps it)',
	},
];

export const description = showFor(
	{ show: { resource: ['message'], operation: ['release'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	remediators: Remediators,
): Promise<INodeExecutionData[]> {
	const target = targetOf(this, itemIndex);
	const subjectTag = String(this.getNodeParameter('subjectTag', itemIndex, '')).trim();
	const remediator = await remediators.for(target.ref.provider);
	return [outputItem(this, itemIndex, await remediator.release(target, { subjectTag }))];
}
