import { Workflow, type IDataObject, type INode, type INodeTypes } from 'n8n-workflow';

/**
 * A one-node workflow as n8n keeps it: static data lives in a "database" copy (n8n stores it as
 * a JSON column), every `load()` builds a fresh Workflow from that copy, and `save()` writes a
 * workflow's static data back only when the node marked it changed, as n8n does after a poll or
 * an execution.
 */
export interface SavedWorkflow {
	load(): Workflow;
	save(workflow: Workflow): void;
	/** What the database holds now (a copy). */
	staticData(): IDataObject;
	/** The database's static data replaced (a reset, or a restart with other data). */
	setStaticData(data: IDataObject): void;
}

export function savedWorkflow(options: {
	id: string;
	name: string;
	node: INode;
	nodeTypes: INodeTypes;
}): SavedWorkflow {
	let database: IDataObject = {};
	return {
		load: () =>
			new Workflow({
				id: options.id,
				name: options.name,
				nodes: [options.node],
				connections: {},
				active: true,
				nodeTypes: options.nodeTypes,
				settings: {},
				staticData: structuredClone(database),
			}),
		save: (workflow) => {
			if (workflow.staticData.__dataChanged !== true) return;
			// n8n stores static data as a JSON column: the same round trip here.
			const copy = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
			delete copy.__dataChanged;
			database = copy;
			workflow.staticData.__dataChanged = false;
		},
		staticData: () => structuredClone(database),
		setStaticData: (data) => {
			database = structuredClone(data);
		},
	};
}
