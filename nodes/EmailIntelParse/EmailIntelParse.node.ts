import { createHash } from 'crypto';
import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { formatLocator } from '../../lib/mail/locator';
import { parseEmail } from '../../lib/mail/parse';
import {
	attachmentOptions,
	includeRawOption,
	policyFromParameters,
	type AttachmentOptionValues,
} from '../shared/attachment-options';
import { n8nBinarySink, toNodeItem } from '../shared/binary-sink';
import { toNodeError } from '../shared/errors';

/**
 * Turns a raw RFC 822 email (an .eml binary, or text) into the normalized email item that
 * every trigger of this pack emits, so forwarded samples, uploads and .eml attachments flow
 * into the same OpenCTI / scanning steps as live mail.
 */
export class EmailIntelParse implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Email Intel Parse',
		name: 'emailIntelParse',
		icon: {
			light: 'file:../../icons/email-intel.svg',
			dark: 'file:../../icons/email-intel.dark.svg',
		},
		group: ['transform'],
		version: 1,
		subtitle:
			'={{$parameter["inputType"] === "binary" ? "from binary " + $parameter["binaryPropertyName"] : "from text"}}',
		description:
			'Parse a raw email (.eml) into the normalized email item with attachments as binary data',
		defaults: { name: 'Email Intel Parse' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName: 'Input',
				name: 'inputType',
				type: 'options',
				options: [
					{
						name: 'Binary File',
						value: 'binary',
						description: 'An .eml file in a binary property',
					},
					{ name: 'Text', value: 'text', description: 'The raw message source as text' },
				],
				default: 'binary',
			},
			{
				displayName: 'Input Binary Field',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				required: true,
				displayOptions: { show: { inputType: ['binary'] } },
				description: 'The name of the binary property that holds the .eml file',
			},
			{
				displayName: 'Source',
				name: 'source',
				type: 'string',
				typeOptions: { rows: 8 },
				default: '',
				required: true,
				displayOptions: { show: { inputType: ['text'] } },
				description: 'The raw RFC 822 message: headers, a blank line, then the body',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [...attachmentOptions, includeRawOption],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const { source, name } = await readSource(this, itemIndex);
				const options = this.getNodeParameter(
					'options',
					itemIndex,
					{},
				) as AttachmentOptionValues & { includeRaw?: boolean };
				const id = createHash('sha256').update(source).digest('hex');
				const ref = { provider: 'file' as const, account: '', mailbox: name, id };
				const parsed = await parseEmail(
					source,
					{ ...ref, locator: formatLocator(ref), size: source.length },
					{
						policy: policyFromParameters(options),
						sink: n8nBinarySink(this),
						keepRaw: options.includeRaw === true,
					},
				);
				output.push(await toNodeItem(this, parsed, { itemIndex, rawFileName: name }));
			} catch (error) {
				if (this.continueOnFail()) {
					output.push({
						json: { error: (error as Error).message } as IDataObject,
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				throw toNodeError(this.getNode(), error, itemIndex);
			}
		}
		return [output];
	}
}

async function readSource(
	context: IExecuteFunctions,
	itemIndex: number,
): Promise<{ source: Buffer; name: string }> {
	const inputType = context.getNodeParameter('inputType', itemIndex) as 'binary' | 'text';
	if (inputType === 'text') {
		const text = context.getNodeParameter('source', itemIndex) as string;
		if (!text.trim()) {
			throw new NodeOperationError(context.getNode(), 'The "Source" parameter is empty', {
				itemIndex,
				description:
					'Paste the raw message (headers, blank line, body) or switch Input to "Binary File".',
			});
		}
		// Emails written into a text field usually lost their CRs; MIME wants CRLF.
		return { source: Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8'), name: 'message.eml' };
	}
	const property = context.getNodeParameter('binaryPropertyName', itemIndex) as string;
	const binary = context.helpers.assertBinaryData(itemIndex, property);
	const source = await context.helpers.getBinaryDataBuffer(itemIndex, property);
	return { source, name: binary.fileName ?? 'message.eml' };
}
