// The n8n credentials that point at the demo's stand-ins, with fixed ids so that the examples
// (examples/*.json) name them and a second `npm run dev` updates them in place (n8n's
// `import:credentials` replaces a credential with the same id). They are re-imported on every
// start: the fakes' certificates and refresh tokens are new each time.
import type { CredentialSeed } from '../e2e/harness';
import { DEMO_ACCOUNTS, DEMO_SECRETS, type DemoServers } from './servers';

/** Credential ids the examples use (16 characters, as n8n makes them). */
export const DEMO_CREDENTIAL_IDS = {
	intelImap: 'imapCredential01',
	phishingImap: 'imapPhishingRep1',
	graph: 'graphContosoApp1',
	openCti: 'openCtiCredent01',
	dsxa: 'dsxaDemoScanner1',
	dsxConnect: 'dsxConnectDemo01',
	gmail: 'gmailDemoToken01',
	clamAv: 'clamAvDemoClamd1',
} as const;

function imapCredential(
	servers: DemoServers,
	account: { user: string; password: string },
): Record<string, unknown> {
	const { dovecot, postfix } = servers;
	if (!dovecot) throw new Error('no Dovecot');
	return {
		host: dovecot.host,
		port: dovecot.port,
		// Verified TLS against the demo's own CA, as a user would with a private server.
		security: 'starttls',
		caCertificate: dovecot.certPem,
		user: account.user,
		authMethod: 'password',
		password: account.password,
		...(postfix
			? { smtpHost: postfix.host, smtpPort: postfix.submissionPort, smtpSecurity: 'starttls' }
			: {}),
	};
}

/** Every credential the running stand-ins allow; the first of each type is the default one. */
export function demoCredentials(servers: DemoServers): CredentialSeed[] {
	const ids = DEMO_CREDENTIAL_IDS;
	const seeds: CredentialSeed[] = [];
	if (servers.dovecot) {
		seeds.push(
			{
				id: ids.intelImap,
				name: `Threat intel mailbox (${DEMO_ACCOUNTS.intel.user})`,
				type: 'emailIntelImapApi',
				data: imapCredential(servers, DEMO_ACCOUNTS.intel),
			},
			{
				id: ids.phishingImap,
				name: `Report-phishing mailbox (${DEMO_ACCOUNTS.phishing.user})`,
				type: 'emailIntelImapApi',
				data: imapCredential(servers, DEMO_ACCOUNTS.phishing),
			},
		);
	}
	seeds.push(
		{
			id: ids.graph,
			name: 'Contoso Graph app (Microsoft 365 stand-in)',
			type: 'microsoftGraphAppApi',
			data: servers.graph.credentialData(),
		},
		{
			id: ids.openCti,
			name: 'OpenCTI (stand-in)',
			type: 'emailIntelOpenCtiApi',
			data: {
				url: servers.opencti.url,
				token: DEMO_SECRETS.openCtiToken,
				// The stand-in speaks plain HTTP on loopback; a real platform is https.
				allowUnencryptedHttp: true,
			},
		},
		{
			id: ids.dsxa,
			name: 'Deep Instinct DSXA (stand-in)',
			type: 'deepInstinctDsxApi',
			data: { url: servers.dsxa.url, token: DEMO_SECRETS.dsxaToken, allowUnencryptedHttp: true },
		},
		{
			id: ids.dsxConnect,
			name: 'dsx-connect (stand-in)',
			type: 'dsxConnectApi',
			data: {
				url: servers.dsxConnect.url,
				enrollmentToken: DEMO_SECRETS.dsxConnectEnrollmentToken,
				connectorName: 'n8n-email-intel-demo',
			},
		},
		{
			id: ids.gmail,
			name: `Gmail (stand-in, ${DEMO_ACCOUNTS.gmail})`,
			type: 'emailIntelGoogleApi',
			data: servers.gmail.credentialData(),
		},
	);
	if (servers.clamd)
		seeds.push({
			id: ids.clamAv,
			name: 'ClamAV (local clamd)',
			type: 'clamAvApi',
			data: { connection: 'tcp', host: servers.clamd.host, port: servers.clamd.port },
		});
	return seeds;
}

interface WorkflowNode {
	credentials?: Record<string, { id?: string; name?: string }>;
}

/**
 * Points every credential reference of a workflow at a demo credential of that type: the one it
 * names by id when there is such a demo credential, else the first of its type. Examples written
 * elsewhere (and ids a user's own n8n gave) then run against the stand-ins without editing.
 * A reference for which the demo has no credential of that type is left as it is.
 */
export function bindCredentials<T extends { nodes?: WorkflowNode[] }>(
	workflow: T,
	seeds: CredentialSeed[],
): T {
	const nodes = (workflow.nodes ?? []).map((node) => {
		if (!node.credentials) return node;
		const credentials = Object.fromEntries(
			Object.entries(node.credentials).map(([type, reference]) => {
				const ofType = seeds.filter((seed) => seed.type === type);
				const chosen = ofType.find((seed) => seed.id === reference.id) ?? ofType[0];
				return [type, chosen ? { id: chosen.id, name: chosen.name } : reference];
			}),
		);
		return { ...node, credentials };
	});
	return { ...workflow, nodes };
}
