import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { MailIntelError } from '../../../../../lib/errors';
import { changeFlags, replaceFlags } from '../../../../../lib/providers/imap/message-ops';
import type { ImapSession } from '../../../../../lib/providers/imap/session';
import { showFor } from '../../../../OpenCti/v1/helpers/displayOptions';
import { addressFields, messageRef, refJson } from './address';

const properties: INodeProperties[] = [
	...addressFields,
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		options: [
			{ name: 'Add', value: 'add', description: 'Add these flags, keep the others' },
			{ name: 'Remove', value: 'remove', description: 'Remove these flags, keep the others' },
			{ name: 'Set', value: 'set', description: 'Replace every flag with exactly these' },
		],
		default: 'add',
	},
	{
		displayName: 'Flags',
		name: 'flags',
		type: 'string',
		default: '',
		placeholder: '\\Seen, \\Flagged, $Phishing',
		description:
			'Comma-separated system flags (\\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft) and keywords ($Phishing, Reviewed)',
	},
];

export const description = showFor(
	{ show: { resource: ['message'], operation: ['updateFlags'] } },
	properties,
);

const SYSTEM_FLAGS = new Map(
	['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((flag) => [
		flag.toLowerCase(),
		flag,
	]),
);

/** Flags as IMAP writes them: system flags in their canonical case; keywords are atoms (RFC 3501 flag-keyword). */
export function parseFlags(text: string): string[] {
	const flags = text
		.split(/[,\s]+/)
		.map((flag) => flag.trim())
		.filter(Boolean)
		.map((flag) => SYSTEM_FLAGS.get(flag.toLowerCase()) ?? flag);
	for (const flag of flags) {
		if (
			flag.startsWith('\\')
				? !SYSTEM_FLAGS.has(flag.toLowerCase())
				: !/^[\x21-\x7e]+$/.test(flag) || /[(){%*"\\\]]/.test(flag)
		)
			throw new MailIntelError(`"${flag}" is not a flag or keyword IMAP accepts`, {
				source: 'config',
				code: 'INVALID_PARAMETER',
				field: 'flags',
				hint: 'Use \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft, or a keyword of letters, digits and $-_. such as $Phishing.',
			});
	}
	return [...new Set(flags)];
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	session: ImapSession,
): Promise<INodeExecutionData[]> {
	const ref = await messageRef.call(this, itemIndex, session);
	const mode = this.getNodeParameter('mode', itemIndex, 'add') as 'add' | 'remove' | 'set';
	const flags = parseFlags(this.getNodeParameter('flags', itemIndex, '') as string);
	if (mode === 'set') await replaceFlags(session, ref, flags);
	else await changeFlags(session, ref, { [mode]: flags });
	return [{ json: { ...refJson(session, ref), mode, flags } }];
}
