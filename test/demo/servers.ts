// The local stand-ins for the outside world, started together for `npm run dev` and for
// test/e2e/examples.e2e.test.ts: a real Dovecot (with a real Postfix delivering into it over
// LMTP) and a real clamd where they can be installed, and the Graph, Gmail, OpenCTI, DSXA and
// dsx-connect fakes of test/fakes/. A real part that cannot be installed or started (not root,
// no apt) is left out with a note saying why; everything else still runs.
import { startClamd, type ClamdServer } from '../clamav/clamd';
import { dsxaScan, startFakeDsxConnect, type FakeDsxConnect } from '../fakes/dsx-connect';
import { startFakeDsxa, type FakeDsxa } from '../fakes/dsxa';
import { startFakeGmail, type FakeGmail } from '../fakes/gmail';
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { start as startFakeOpenCti, type FakeOpenCti } from '../fakes/opencti';
import { startDovecot, type DovecotServer } from '../imap/dovecot';
import { startPostfix, type PostfixServer } from '../mta/postfix';

/** Loopback ports of the stand-ins that have fixed addresses in the demo. */
export interface DemoPorts {
	opencti: number;
	graph: number;
	gmail: number;
	dsxa: number;
	dsxConnect: number;
	imap: number;
	imaps: number;
}

/** `npm run dev`'s addresses, next to n8n's 5678 (the tests use free ports instead). */
export const DEMO_PORTS: DemoPorts = {
	opencti: 5680,
	graph: 5681,
	gmail: 5682,
	dsxa: 5683,
	dsxConnect: 5684,
	imap: 5685,
	imaps: 5686,
};

/** Who is who in the demo's mail world. */
export const DEMO_ACCOUNTS = {
	/** Dovecot: the threat-intel mailbox example 1 reads */
	intel: { user: 'intel@mail.test', password: 'demo-intel-pass' },
	/** Dovecot: the "report phishing" mailbox example 4 answers */
	phishing: { user: 'phishing@mail.test', password: 'demo-phishing-pass' },
	/** Dovecot: the employee who reports, and receives the answer */
	reporter: { user: 'reporter@mail.test', password: 'demo-reporter-pass' },
	/** Microsoft 365: a staff mailbox that receives phishing (examples 2 and 5) */
	staff: 'staff@contoso.com',
	/** Microsoft 365: the threat-intel mailbox of examples/m365-to-opencti.json */
	threatIntel: 'threat-intel@contoso.com',
	/** Gmail */
	gmail: 'soc@example.com',
} as const;

export const DEMO_SECRETS = {
	graphTenantId: '8f0b2c4e-1d3a-4b5c-9e6f-7a8b9c0d1e2f',
	graphClientId: '3c9d1e2f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
	graphClientSecret: 'demo-graph-client-secret',
	openCtiToken: 'demo-opencti-token',
	dsxaToken: 'demo-dsxa-token',
	dsxConnectEnrollmentToken: 'demo-dsx-connect-enrollment-token',
} as const;

export interface DemoServers {
	/** undefined when Dovecot could not be installed or started (see notes) */
	dovecot?: DovecotServer;
	postfix?: PostfixServer;
	clamd?: ClamdServer;
	graph: FakeGraph;
	gmail: FakeGmail;
	opencti: FakeOpenCti;
	dsxa: FakeDsxa;
	dsxConnect: FakeDsxConnect;
	/** what was left out and why, for the user */
	notes: string[];
	stop(): Promise<void>;
}

/** Starts a real part; on failure records why and goes on without it. */
async function optional<T>(
	name: string,
	notes: string[],
	start: () => Promise<T>,
): Promise<T | undefined> {
	try {
		return await start();
	} catch (error) {
		const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
		notes.push(`${name} is not running: ${reason}`);
		return undefined;
	}
}

export async function startDemoServers(options: { ports?: DemoPorts } = {}): Promise<DemoServers> {
	const { ports } = options;
	const notes: string[] = [];
	const stops: Array<() => Promise<void>> = [];
	const stop = async () => {
		for (const each of stops.reverse()) await each().catch(() => undefined);
	};
	try {
		const dovecot = await optional('Dovecot (IMAP, examples 1 and 4)', notes, () =>
			startDovecot({
				mta: true,
				users: Object.fromEntries(
					[DEMO_ACCOUNTS.intel, DEMO_ACCOUNTS.phishing, DEMO_ACCOUNTS.reporter].map((a) => [
						a.user,
						a.password,
					]),
				),
				...(ports ? { ports: { port: ports.imap, tlsPort: ports.imaps } } : {}),
			}),
		);
		if (dovecot) stops.push(() => dovecot.stop());
		const postfix = dovecot
			? await optional('Postfix (SMTP, the reply of example 4)', notes, () =>
					startPostfix(dovecot, { domain: 'mail.test' }),
				)
			: undefined;
		if (postfix) stops.push(() => postfix.stop());
		const clamd = await optional('clamd (ClamAV)', notes, () => startClamd());
		if (clamd) stops.push(() => clamd.stop());

		const graph = await startFakeGraph({
			port: ports?.graph,
			tenantId: DEMO_SECRETS.graphTenantId,
			clientId: DEMO_SECRETS.graphClientId,
			clientSecret: DEMO_SECRETS.graphClientSecret,
		});
		stops.push(() => graph.close());
		const gmail = await startFakeGmail({ port: ports?.gmail, address: DEMO_ACCOUNTS.gmail });
		stops.push(() => gmail.close());
		const opencti = await startFakeOpenCti({
			port: ports?.opencti,
			token: DEMO_SECRETS.openCtiToken,
		});
		stops.push(() => opencti.stop());
		const dsxa = await startFakeDsxa({ port: ports?.dsxa, token: DEMO_SECRETS.dsxaToken });
		stops.push(() => dsxa.stop());
		const dsxConnect = await startFakeDsxConnect({
			port: ports?.dsxConnect,
			enrollmentToken: DEMO_SECRETS.dsxConnectEnrollmentToken,
			// dsx-connect hands what it reads through the connector to its DSXA scanner.
			scan: dsxaScan(dsxa.url, DEMO_SECRETS.dsxaToken),
		});
		stops.push(() => dsxConnect.close());
		return { dovecot, postfix, clamd, graph, gmail, opencti, dsxa, dsxConnect, notes, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}
