import type { AllEntities } from 'n8n-workflow';

/** resource -> operations: the router's switch is checked against this map by the compiler. */
type NodeMap = {
	mailbox: 'list' | 'create' | 'rename' | 'delete';
	message:
		| 'list'
		| 'get'
		| 'getSource'
		| 'downloadAttachment'
		| 'updateFlags'
		| 'move'
		| 'copy'
		| 'delete'
		| 'findByMessageId';
	// 'send' joins `message` when the imapsend branch is merged (see message/index.ts).
};

export type EmailIntelImapType = AllEntities<NodeMap>;
