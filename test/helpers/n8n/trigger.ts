import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { HookContext, PollContext, WebhookContext } from 'n8n-core';
import {
	type Workflow,
	type IDeferredPromise,
	type IRun,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type IPollFunctions,
	type IWebhookData,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { additionalDataFor, singleNodeTypes, testNode } from './node';
import { savedWorkflow } from './saved-workflow';
import { backgroundDrain, pollOwner } from '../../../nodes/shared/ingest-poll';

/**
 * Runs a trigger node the way n8n does, inside n8n-core 2.8.1's real HookContext,
 * WebhookContext and PollContext, behind a real HTTP listener:
 * - static data lives in a "database" copy; every request builds a fresh Workflow from it
 *   and saves it back only when the node changed it (`__dataChanged`), as n8n's
 *   WorkflowStaticDataService does — so concurrent requests read stale copies, as in n8n;
 * - the webhook URL is what HookContext.getNodeWebhookUrl computes from webhookBaseUrl;
 * - polls run on ONE Workflow object kept across polls (n8n's ActiveWorkflows keeps the
 *   workflow it activated), and its static data reaches the "database" only when a poll
 *   emits (`__emit`, or a poll that returns items), as n8n's poll emitter does: a poll that
 *   changes its state and then fails or returns null saves nothing. `restart()` rebuilds the
 *   workflow from the database, as n8n does on start;
 * - an execution is recorded for every webhook()/poll() that returns workflow data and for
 *   every `__emit` of a poll.
 * What is not n8n: the express request parsing (JSON body -> req.body, query -> req.query)
 * and the credential store (decrypted values handed over as given).
 */
export interface HarnessOptions {
	parameters: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	workflowId?: string;
	/** The node's typeVersion (default 1). */
	typeVersion?: number;
	/**
	 * The node's background drain after a poll (default: nodes/shared/ingest-poll.ts as this
	 * harness loads it); a node loaded in isolated modules has its own registry, and passes its own.
	 */
	backgroundDrainOf?: (context: IPollFunctions) => Promise<void> | undefined;
}

export interface Execution {
	items: INodeExecutionData[];
	at: number;
}

export interface Harness {
	webhookUrl: string;
	executions: Execution[];
	/** Milliseconds from request arrival to the response being finished, per webhook request. */
	responseTimes: number[];
	errors: Error[];
	staticData(): IDataObject;
	/** Replaces the stored static data (as if the workflow had been saved with it). */
	setStaticData(data: IDataObject): void;
	activate(): Promise<{ existed: boolean }>;
	deactivate(): Promise<boolean>;
	/**
	 * One poll. Resolves to every item this poll handed to n8n (all its executions, in order),
	 * or null when it emitted nothing; rejects when the poll throws (n8n's error execution).
	 */
	poll(mode?: WorkflowExecuteMode, options?: PollOptions): Promise<INodeExecutionData[][] | null>;
	/** n8n restarted: the active workflow is rebuilt from what the database holds. */
	restart(): void;
	settle(): Promise<void>;
	/** Webhook calls whose webhook() has not returned yet. */
	webhookCallsInFlight(): number;
	emittedIds(): string[];
	close(): Promise<void>;
}

export interface PollOptions {
	/**
	 * From this `__emit` of the poll on (0: the first), n8n creates no execution, as when it is
	 * stopping: static data is saved first (as n8n's emit does), then the done promise rejects.
	 */
	refuseFrom?: number;
	/**
	 * The refusal reaches the trigger when this promise resolves (default: on the next turn). n8n
	 * refuses while creating the execution, a few database round trips after `__emit`: a poll
	 * that ends first hears of it later.
	 */
	refusalArrives?: Promise<void>;
	/** Called at the end of each `__emit` of the poll, with its index (e.g. to send a signal). */
	afterEmit?: (index: number) => void;
}

export async function startHarness(nodeType: INodeType, options: HarnessOptions): Promise<Harness> {
	const node = testNode(nodeType, options.parameters, options.credentials, {
		webhookId: 'a1b2c3d4-0000-4000-8000-00000000beef',
		typeVersion: options.typeVersion ?? 1,
	});
	const nodeTypes = singleNodeTypes(nodeType);
	const workflowId = options.workflowId ?? `wf-${Math.random().toString(36).slice(2, 10)}`;
	const executions: Execution[] = [];
	const responseTimes: number[] = [];
	const errors: Error[] = [];
	const inFlight = new Set<Promise<void>>();
	let activeWorkflow: Workflow | undefined;

	const saved = savedWorkflow({ id: workflowId, name: 'graph test', node, nodeTypes });
	const loadWorkflow = saved.load;
	const saveStaticData = saved.save;

	const server = http.createServer((req, res) => {
		const started = performance.now();
		res.on('finish', () => responseTimes.push(performance.now() - started));
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const run = handle(req, res, Buffer.concat(chunks)).catch((error: Error) => {
				errors.push(error);
				if (!res.headersSent) res.writeHead(500).end(error.message);
			});
			inFlight.add(run);
			void run.finally(() => inFlight.delete(run));
		});
	});
	server.keepAliveTimeout = 5000;
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const additionalData = (extra: Partial<IWorkflowExecuteAdditionalData> = {}) =>
		additionalDataFor(options.credentials, base, {
			executionId: `exec-${executions.length}`,
			...extra,
		});

	const webhookDescription = nodeType.description.webhooks?.[0];
	const webhookData = (workflow: Workflow, data: IWorkflowExecuteAdditionalData): IWebhookData => ({
		httpMethod: 'POST',
		node: node.name,
		path: `${node.webhookId}/${webhookDescription?.path ?? ''}`,
		webhookDescription: webhookDescription!,
		workflowId: workflow.id,
		workflowExecuteAdditionalData: data,
		webhookId: node.webhookId,
	});

	async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer) {
		const url = new URL(req.url ?? '/', base);
		const text = raw.toString('utf8');
		let body: unknown = {};
		if (String(req.headers['content-type'] ?? '').includes('json') && text) body = JSON.parse(text);
		Object.assign(req, { body, query: Object.fromEntries(url.searchParams), rawBody: raw });
		const workflow = loadWorkflow();
		const data = additionalData({ httpRequest: req, httpResponse: res } as never);
		const context = new WebhookContext(
			workflow,
			node,
			data,
			'webhook',
			webhookData(workflow, data),
			[],
			null,
		);
		const result = await nodeType.webhook!.call(context);
		saveStaticData(workflow);
		if (result.workflowData)
			executions.push({ items: result.workflowData[0], at: performance.now() });
		if (!res.headersSent)
			res
				.writeHead(200, { 'content-type': 'application/json' })
				.end('{"message":"Workflow was started"}');
	}

	const hook = async (method: 'checkExists' | 'create' | 'delete') => {
		const workflow = loadWorkflow();
		const data = additionalData();
		const context = new HookContext(
			workflow,
			node,
			data,
			'trigger',
			'activate',
			webhookData(workflow, data),
		);
		const fn = (
			nodeType as unknown as {
				webhookMethods: Record<string, Record<string, (this: unknown) => Promise<boolean>>>;
			}
		).webhookMethods.default[method];
		const result = await fn.call(context);
		saveStaticData(workflow);
		return result;
	};

	const harness: Harness = {
		webhookUrl: '',
		executions,
		responseTimes,
		errors,
		staticData: saved.staticData,
		setStaticData(data) {
			saved.setStaticData(data);
			activeWorkflow = undefined;
		},
		async activate() {
			// ActiveWorkflowManager -> WebhookService.createWebhookIfNotExists: checkExists, then create.
			const existed = await hook('checkExists');
			if (!existed) await hook('create');
			return { existed };
		},
		deactivate: () => hook('delete'),
		async poll(mode = 'trigger', pollOptions: PollOptions = {}) {
			// Manual runs ("Fetch Test Event") get a copy n8n never saves; active polls the kept workflow.
			const manual = mode === 'manual';
			const workflow = manual ? loadWorkflow() : (activeWorkflow ??= loadWorkflow());
			const emitted: INodeExecutionData[] = [];
			let emits = 0;
			const emit = (
				data: INodeExecutionData[][],
				_response?: unknown,
				done?: IDeferredPromise<IRun>,
			) => {
				if (!manual) saveStaticData(workflow);
				const index = emits++;
				if (pollOptions.refuseFrom !== undefined && index >= pollOptions.refuseFrom) {
					const arrives =
						pollOptions.refusalArrives ?? new Promise<void>((resolve) => setImmediate(resolve));
					if (done) void arrives.then(() => done.reject(new Error('n8n is shutting down')));
					pollOptions.afterEmit?.(index);
					return;
				}
				emitted.push(...data[0]);
				executions.push({ items: data[0], at: performance.now() });
				// The execution "runs" on a later turn, as n8n's does.
				if (done) setImmediate(() => done.resolve({} as IRun));
				pollOptions.afterEmit?.(index);
			};
			const context = new PollContext(workflow, node, additionalData(), mode, 'activate', emit);
			const result = await nodeType.poll!.call(context);
			// A trigger's first poll returns after its first batch and drains the rest in the
			// background (nodes/shared/ingest-poll.ts): the harness's poll is the whole of it.
			await (options.backgroundDrainOf ?? ((c) => backgroundDrain(pollOwner(c))))(context);
			if (result) emit(result);
			return emitted.length > 0 ? [emitted] : null;
		},
		restart() {
			activeWorkflow = undefined;
		},
		async settle() {
			while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
		},
		webhookCallsInFlight: () => inFlight.size,
		emittedIds: () =>
			executions.flatMap((execution) => execution.items.map((item) => String(item.json.id))),
		async close() {
			await harness.settle();
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			});
		},
	};
	// What n8n would register and hand to Graph.
	const probe = loadWorkflow();
	const probeContext = new HookContext(
		probe,
		node,
		additionalData(),
		'trigger',
		'activate',
		webhookData(probe, additionalData()),
	);
	harness.webhookUrl = probeContext.getNodeWebhookUrl('default') as string;
	return harness;
}
