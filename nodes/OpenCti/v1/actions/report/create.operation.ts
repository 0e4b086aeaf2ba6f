import {
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';

import {
	CONNECTOR_REPORT_TYPES,
	padReportName,
	reportAuthor,
	tlpMarkingId,
	type OpenCtiClient,
	type ReportPlan,
} from '../../../../../lib/opencti';
import { showFor } from '../../helpers/displayOptions';
import {
	binaryAsUpload,
	readReportOptions,
	reportOptionsField,
	splitList,
	tlpField,
} from '../common';
import { reportOutput } from './output';

const properties: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		required: true,
		description: 'Report name (at least 2 characters; shorter names are padded with _)',
	},
	{
		displayName: 'Published',
		name: 'published',
		type: 'dateTime',
		default: '',
		required: true,
		description:
			'Publication date; with the name it identifies the report (same name + date = same report)',
	},
	{
		displayName: 'Description',
		name: 'description',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
	},
	{
		displayName: 'Content',
		name: 'content',
		type: 'string',
		typeOptions: { rows: 6 },
		default: '',
		description: "The report content (HTML or text), shown in OpenCTI's content tab",
	},
	tlpField,
	{
		displayName: 'Binary Properties to Upload',
		name: 'binaryPropertyNames',
		type: 'string',
		default: '',
		placeholder: 'data, attachment_0',
		description:
			"Comma-separated binary properties of the item uploaded as report files (with the report's marking)",
	},
	reportOptionsField,
];

export const description = showFor(
	{ show: { resource: ['report'], operation: ['create'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	client: OpenCtiClient,
): Promise<INodeExecutionData[]> {
	const options = readReportOptions(this, itemIndex);
	const marking = tlpMarkingId(options.tlp ?? 'amber+strict');
	const rawName = this.getNodeParameter('name', itemIndex) as string;
	if (!rawName.trim()) {
		throw new NodeOperationError(this.getNode(), 'The report name is empty', {
			itemIndex,
			description: 'Set "Name" (OpenCTI needs at least 2 characters).',
		});
	}
	const publishedValue = this.getNodeParameter('published', itemIndex) as string;
	const published = new Date(publishedValue);
	if (!publishedValue || Number.isNaN(published.getTime())) {
		throw new NodeOperationError(this.getNode(), `"Published" is not a date: "${publishedValue}"`, {
			itemIndex,
			description: 'Use an ISO-8601 date such as 2025-06-03T08:00:00Z.',
		});
	}
	const files = [];
	for (const property of splitList(
		this.getNodeParameter('binaryPropertyNames', itemIndex, '') as string,
	)) {
		files.push(await binaryAsUpload(this, itemIndex, property, marking));
	}
	const description = this.getNodeParameter('description', itemIndex, '') as string;
	const content = this.getNodeParameter('content', itemIndex, '') as string;
	const plan: ReportPlan = {
		input: {
			name: padReportName(rawName),
			published: published.toISOString(),
			report_types: options.reportTypes?.length ? options.reportTypes : CONNECTOR_REPORT_TYPES,
			objectMarking: [marking],
			...(description ? { description } : {}),
			...(content ? { content } : {}),
			...(options.confidence === undefined ? {} : { confidence: options.confidence }),
		},
		author: reportAuthor(options.authorName),
		labels: options.labels ?? [],
		...(options.externalReference ? { externalReference: options.externalReference } : {}),
		files,
		noTriggerImport: options.noTriggerImport ?? false,
	};
	return [{ json: reportOutput(await client.createReport(plan)), pairedItem: { item: itemIndex } }];
}
