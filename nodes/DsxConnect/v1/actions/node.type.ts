import type { AllEntities } from 'n8n-workflow';

/** resource -> operations: the router's switch is checked against this map by the compiler. */
type NodeMap = {
	scanRequest: 'submit';
};

export type DsxConnectType = AllEntities<NodeMap>;
