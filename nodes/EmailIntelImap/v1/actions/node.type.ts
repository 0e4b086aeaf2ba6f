import type { AllEntities } from 'n8n-workflow';

/** resource -> operations: the router's switch is checked against this map by the compiler. */
type NodeMap = {
	mailbox: 'list' | 'create' | 'rename' | 'delete';
	message:
		| 'list'
		| 'get'
		| 'getSource'
		| 'downloadAttachment'
		| 'send'
		| 'updateFlags'
		| 'move'
		| 'copy'
		| 'delete'
		| 'findByMessageId';
};

export type EmailIntelImapType = AllEntities<NodeMap>;
