import type { AllEntities } from 'n8n-workflow';

/** resource -> operations: the router's switch is checked against this map by the compiler. */
type NodeMap = {
	message: 'remediate' | 'release';
};

export type MailRemediationType = AllEntities<NodeMap>;
