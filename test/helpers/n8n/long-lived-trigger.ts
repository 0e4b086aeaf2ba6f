import { TriggerContext } from 'n8n-core';
import {
	type Workflow,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type ITriggerResponse,
} from 'n8n-workflow';

import { additionalDataFor, singleNodeTypes, testNode } from './node';
import { savedWorkflow } from './saved-workflow';

/**
 * Runs a long-lived trigger node (`trigger()`, not `poll()`) inside n8n-core's real
 * TriggerContext, doing what n8n 2.41.1's ActiveWorkflowManager and TriggersAndPollers do (read
 * from its dist: active-workflow-manager.js, trigger-execution-context.factory.js,
 * triggers-and-pollers.js):
 * - `emit`: the workflow's static data is saved (when the node changed it), then an execution
 *   starts — recorded here;
 * - `emitError`: the error is recorded (n8n: activation error + Error Workflow), the trigger is
 *   closed (its closeFunction) and activated again after 1 s, then after doubling delays while
 *   activation throws (WORKFLOW_REACTIVATE_INITIAL_TIMEOUT = 1 s), from the saved workflow;
 * - manual mode ("Listen for test event"): the node's trigger() runs, then emit/emitError are
 *   replaced by the ones that resolve the test run, then manualTriggerFunction() is called; the
 *   first emit is the result.
 * Static data lives in a "database" copy, JSON round-tripped, as n8n stores it.
 */
export interface LongLivedHarnessOptions {
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	workflowId?: string;
	/** First reactivation delay after emitError (n8n: 1,000 ms). */
	reactivateAfterMs?: number;
	/** Called on each emit, right when it happens (the benchmark times it). */
	onEmit?: (items: INodeExecutionData[]) => void;
}

export interface LongLivedHarness {
	executions: INodeExecutionData[][];
	/** Errors passed to emitError, in order. */
	reportedErrors: Error[];
	/** Activations that threw (the first one rethrows from activate()). */
	activationErrors: Error[];
	/** How many times trigger() was called in active mode. */
	activations: number;
	staticData(): IDataObject;
	activate(): Promise<void>;
	deactivate(): Promise<void>;
	/** "Listen for test event": resolves with the first emitted items; close() ends the listening. */
	listen(): Promise<{ response: Promise<INodeExecutionData[][]>; close: () => Promise<void> }>;
}

export function startLongLivedHarness(
	nodeType: INodeType,
	options: LongLivedHarnessOptions,
): LongLivedHarness {
	const node = testNode(nodeType, options.parameters, options.credentials);
	const nodeTypes = singleNodeTypes(nodeType);
	const workflowId = options.workflowId ?? `wf-${Math.random().toString(36).slice(2, 10)}`;
	let active: { workflow: Workflow; response: ITriggerResponse } | undefined;
	let reactivation: NodeJS.Timeout | undefined;
	let deactivated = false;

	const saved = savedWorkflow({ id: workflowId, name: 'events trigger test', node, nodeTypes });
	const loadWorkflow = saved.load;
	const saveStaticData = saved.save;
	const additionalData = () =>
		additionalDataFor(options.credentials, 'http://127.0.0.1:9', { executionId: 'exec-trigger' });

	const harness: LongLivedHarness = {
		executions: [],
		reportedErrors: [],
		activationErrors: [],
		activations: 0,
		staticData: saved.staticData,
		async activate() {
			deactivated = false;
			await activateOnce();
		},
		async deactivate() {
			deactivated = true;
			clearTimeout(reactivation);
			const current = active;
			active = undefined;
			await current?.response.closeFunction?.();
		},
		async listen() {
			const workflow = loadWorkflow();
			const context = new TriggerContext(workflow, node, additionalData(), 'manual', 'manual');
			const response = (await nodeType.trigger!.call(context)) ?? {};
			// n8n replaces the context's functions after trigger() returned (they are readonly in the types only).
			const writable = context as unknown as {
				emit: (data: INodeExecutionData[][]) => void;
				emitError: (error: Error) => void;
			};
			const first = new Promise<INodeExecutionData[][]>((resolve, reject) => {
				writable.emit = (data) => resolve(data);
				writable.emitError = (error) => reject(error);
			});
			await response.manualTriggerFunction?.();
			return { response: first, close: async () => response.closeFunction?.() };
		},
	};

	async function activateOnce(): Promise<void> {
		const workflow = loadWorkflow();
		const context = new TriggerContext(
			workflow,
			node,
			additionalData(),
			'trigger',
			harness.activations === 0 ? 'activate' : 'init',
			(data) => {
				options.onEmit?.(data[0]);
				saveStaticData(workflow);
				harness.executions.push(data[0]);
			},
			(error) => onTriggerFailure(error),
			(error) => harness.reportedErrors.push(error),
		);
		harness.activations++;
		const response = (await nodeType.trigger!.call(context)) ?? {};
		active = { workflow, response };
	}

	function onTriggerFailure(error: Error): void {
		harness.reportedErrors.push(error);
		const current = active;
		active = undefined;
		void current?.response.closeFunction?.();
		queueReactivation(options.reactivateAfterMs ?? 1_000);
	}

	function queueReactivation(delay: number): void {
		clearTimeout(reactivation);
		reactivation = setTimeout(() => {
			if (deactivated) return;
			activateOnce().catch((error: Error) => {
				harness.activationErrors.push(error);
				queueReactivation(delay * 2);
			});
		}, delay);
	}

	return harness;
}
