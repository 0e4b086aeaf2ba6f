// The Microsoft 365 scan → remediate chain in a real n8n, as scan.e2e.test.ts and
// remediation-retry.e2e.test.ts run it: Microsoft 365 Mail Poll Trigger (PDFs downloaded) →
// Deep Instinct DSX → a NoOp per output → (Malicious) Mail Remediation → Remediate Again,
// against the https Graph fake and the DSXA fake, with the workflow published.
import { startFakeDsxa, type FakeDsxa } from '../fakes/dsxa';
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { newWorkflowId, packNodeType, startN8n, type N8nInstance } from './harness';
import { credentialRef, remediationChain } from './seeds';

export const UPN = 'soc@contoso.com';

/** The policy of both Mail Remediation nodes: the defaults plus a subject tag, an X-header and a category. */
export const M365_POLICY = {
	tagSubject: true,
	subjectTag: '[Suspicious]',
	addHeaders: true,
	headers: { header: [{ name: 'X-Attachment-Scan', value: 'malicious' }] },
	addCategories: true,
	categories: 'Phishing',
};

export interface M365DsxLab {
	graph: FakeGraph;
	dsxa: FakeDsxa;
	n8n: N8nInstance;
	workflowId: string;
	stop(): Promise<void>;
}

/**
 * Starts both fakes, lets `prepare` put mail (or faults) into the Graph fake, then starts n8n
 * with the workflow published: its activation poll is the first execution.
 */
export async function startM365DsxLab(
	prepare: (graph: FakeGraph) => void | Promise<void>,
): Promise<M365DsxLab> {
	const workflowId = newWorkflowId();
	const graph = await startFakeGraph({ defaultPageSize: 10 });
	const dsxa = await startFakeDsxa({ token: 'dsxa-token' });
	const stopFakes = async () => {
		await dsxa.stop();
		await graph.close();
	};
	try {
		await prepare(graph);
		const graphCredential = {
			id: 'GraphScanCred001',
			name: 'Graph fake',
			type: 'microsoftGraphAppApi',
			data: graph.credentialData({ trustCa: false }),
		};
		const dsxCredential = {
			id: 'DsxaScanCred0001',
			name: 'DSXA fake',
			type: 'deepInstinctDsxApi',
			// The fake listens on plain HTTP, as DSXA does on a trusted internal network.
			data: { url: dsxa.url, token: 'dsxa-token', allowUnencryptedHttp: true },
		};
		const chain = remediationChain({
			scanNode: 'DSX',
			policy: M365_POLICY,
			credentials: { microsoftGraphAppApi: credentialRef(graphCredential) },
		});
		const n8n = await startN8n({
			env: { NODE_EXTRA_CA_CERTS: graph.caPath },
			credentials: [graphCredential, dsxCredential],
			workflows: [
				{
					id: workflowId,
					name: 'e2e: Microsoft 365 → Deep Instinct DSX → Mail Remediation',
					nodes: [
						{
							id: 'p1',
							name: 'M365 Poll',
							type: packNodeType('microsoft365MailPollTrigger'),
							typeVersion: 1,
							position: [0, 0],
							parameters: {
								pollTimes: { item: [{ mode: 'everyMinute' }] },
								mailboxes: UPN,
								options: { attachmentMimeTypes: 'application/pdf' },
							},
							credentials: { microsoftGraphAppApi: credentialRef(graphCredential) },
						},
						{
							id: 'd1',
							name: 'DSX',
							type: packNodeType('deepInstinctDsx'),
							typeVersion: 1,
							position: [220, 0],
							parameters: { operation: 'scanAttachments' },
							credentials: { deepInstinctDsxApi: credentialRef(dsxCredential) },
						},
						...chain.nodes,
					],
					connections: {
						'M365 Poll': { main: [[{ node: 'DSX', type: 'main', index: 0 }]] },
						...chain.connections,
					},
				},
			],
			publish: [workflowId],
		});
		return {
			graph,
			dsxa,
			n8n,
			workflowId,
			async stop() {
				await n8n.stop();
				await stopFakes();
			},
		};
	} catch (error) {
		await stopFakes();
		throw error;
	}
}
