import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { tlpMarkingId, type OpenCtiClient } from '../../../../../lib/opencti';
import { showFor } from '../../helpers/displayOptions';
import { binaryAsUpload, tlpField } from '../common';

const properties: INodeProperties[] = [
	{
		displayName: 'Entity ID',
		name: 'entityId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'report--c4db8a7e-e0e5-5eb0-836a-be7ae3e6a8fc',
		description:
			'ID or standard_id of the OpenCTI entity (report, malware, ...) the file is attached to',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field containing the file to upload',
	},
	{ ...tlpField, description: 'Marking of the uploaded file' },
	{
		displayName: 'Trigger Import Connectors',
		name: 'triggerImport',
		type: 'boolean',
		default: true,
		description: 'Whether OpenCTI may run its file import connectors on the file',
	},
];

export const description = showFor(
	{ show: { resource: ['file'], operation: ['upload'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: OpenCtiClient,
): Promise<INodeExecutionData[]> {
	const entityId = (this.getNodeParameter('entityId', itemIndex) as string).trim();
	const property = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const marking = tlpMarkingId(this.getNodeParameter('tlp', itemIndex) as string);
	const file = await binaryAsUpload(this, itemIndex, property, marking);
	const pushed = await client.uploadFile(
		entityId,
		file,
		!(this.getNodeParameter('triggerImport', itemIndex, true) as boolean),
	);
	return [
		{
			json: {
				entityId,
				id: pushed.id,
				name: pushed.name,
				size: pushed.size ?? file.data.length,
				mimeType: file.mimeType,
				markings: file.markings,
			},
			pairedItem: { item: itemIndex },
		},
	];
}
