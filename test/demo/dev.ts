// `npm run dev`: the whole demo on this machine. Builds and packs the pack, starts the stand-ins
// (servers.ts), seeds their mail (seed.ts), starts a real n8n 2.41.1 with the pack installed as
// a community package, credentials pointing at the stand-ins (credentials.ts) and the example
// workflows imported, then the demo page (page.ts). Ctrl-C stops everything it started.
//
// What stays between runs: n8n's user folder (workflows, credentials, executions; default
// ~/.n8n-email-intel-dev, EMAIL_INTEL_DEV_DIR). The stand-ins start empty and are seeded again;
// the credentials are re-imported with the same ids (the stand-ins' certificates and tokens are
// new each run); an example is re-imported only when its file changed.
//
// Environment: EMAIL_INTEL_DEV_DIR, EMAIL_INTEL_DEV_PORT (n8n, default 5678); any N8N_*, DB_*,
// WEBHOOK_URL or EXECUTIONS_* variable you set is passed to n8n and wins.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ensureN8n, OWNER, preparePack, startN8n, type N8nInstance } from '../e2e/harness';
import { removePack } from '../e2e/pack';
import { bindCredentials, demoCredentials } from './credentials';
import { readExamples } from './examples';
import { examplesToImport, rememberImported } from './imported';
import { startDemoPage, type DemoPage } from './page';
import { seedDemoMail } from './seed';
import { DEMO_PORTS, startDemoServers, type DemoServers } from './servers';

const DEMO_PAGE_PORT = 5679;

function userEnv(): Record<string, string> {
	return Object.fromEntries(
		Object.entries(process.env).filter(
			(entry): entry is [string, string] =>
				entry[1] !== undefined &&
				/^(N8N_|DB_|EXECUTIONS_|WEBHOOK_URL$|GENERIC_TIMEZONE$)/.test(entry[0]),
		),
	);
}

function log(line = ''): void {
	console.log(line ? `[dev] ${line}` : '');
}

export async function main(): Promise<void> {
	const userFolder = path.resolve(
		process.env.EMAIL_INTEL_DEV_DIR || path.join(os.homedir(), '.n8n-email-intel-dev'),
	);
	const port = Number(process.env.EMAIL_INTEL_DEV_PORT || 5678);

	let servers: DemoServers | undefined;
	let n8n: N8nInstance | undefined;
	let page: DemoPage | undefined;
	let stopping = false;
	const stop = async (reason: string) => {
		if (stopping) return;
		stopping = true;
		log(`${reason}: stopping n8n and the stand-ins…`);
		await n8n?.stop();
		await page?.close();
		await servers?.stop();
		removePack();
		log('stopped: n8n, the demo page and every stand-in (their lab folders removed).');
	};
	process.on('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
	process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));

	try {
		const install = await ensureN8n();
		log(`n8n ${install.version} on Node 24 from ${install.dir}`);
		await preparePack();
		fs.mkdirSync(userFolder, { recursive: true });

		log(
			'starting the stand-ins (Dovecot, Postfix, clamd, Graph, Gmail, OpenCTI, DSXA, dsx-connect)…',
		);
		servers = await startDemoServers({ ports: DEMO_PORTS });
		for (const note of servers.notes) log(`NOTE: ${note}; going on without it`);
		for (const line of await seedDemoMail(servers)) log(`seeded ${line}`);

		const credentials = demoCredentials(servers);
		const examples = readExamples();
		const changed = examplesToImport(userFolder, examples);
		if (changed.length)
			log(`importing ${changed.map((example) => example.file).join(', ')} from examples/`);

		n8n = await startN8n({
			userFolder,
			port,
			credentials,
			workflows: changed.map((example) => bindCredentials(example.workflow, credentials)),
			env: userEnv(),
			echo: true,
		});
		rememberImported(userFolder, examples);
		removePack();
		page = await startDemoPage(servers, {
			port: DEMO_PAGE_PORT,
			links: { n8n: n8n.url, 'OpenCTI stand-in': `${servers.opencti.url}/` },
		});
		printWelcome(n8n, servers, page, userFolder);
	} catch (error) {
		await stop('failed');
		throw error;
	}

	const code = await n8n.exited();
	if (!stopping) {
		console.error(`[dev] n8n exited with code ${code}`);
		await stop('n8n exited');
		process.exit(code || 1);
	}
}

function printWelcome(n8n: N8nInstance, servers: DemoServers, page: DemoPage, userFolder: string) {
	const dovecot = servers.dovecot;
	log();
	log(`n8n with n8n-nodes-email-intel is ready: ${n8n.url}`);
	log(`sign in as ${OWNER.email} / ${OWNER.password}`);
	log(`demo page (deliver new mail, the Microsoft 365 mailbox): ${page.url}`);
	log(`OpenCTI stand-in (reports received): ${servers.opencti.url}/`);
	log();
	log('What to click first:');
	log('  1. Workflows → "IMAP → OpenCTI (Email Intel)" → Execute workflow: the newest email of');
	log(
		`     the threat-intel mailbox becomes an OpenCTI report; open ${servers.opencti.url}/ to see it.`,
	);
	log('     Publish the workflow instead and every seeded email becomes a report within a minute.');
	log(
		'  2. "Microsoft 365 → Deep Instinct DSX → Mail Remediation + OpenCTI" → Execute workflow, then',
	);
	log(
		`     on ${page.url} click "Deliver the EICAR invoice": DSX finds it Malicious, the attachment`,
	);
	log(
		'     is replaced by a banner (see the mailbox table on the demo page) and a report is filed.',
	);
	log(
		'  3. "IMAP Events → thank the reporter" → Publish, then "Report phishing" on the demo page:',
	);
	log(`     the reply arrives in ${'reporter@mail.test'}'s INBOX through Postfix.`);
	log(
		'  4. "DSX Connect Connector → Mail Remediation" → Publish: the connector registers with the',
	);
	log('     dsx-connect stand-in and quarantines what it reports Malicious.');
	log();
	if (dovecot)
		log(
			`IMAP: ${dovecot.host}:${dovecot.port} (STARTTLS) / ${dovecot.tlsPort} (TLS), users in test/demo/servers.ts`,
		);
	for (const note of servers.notes) log(`NOTE: ${note}`);
	log(`n8n's data (kept between runs): ${userFolder}`);
	log('Ctrl-C stops n8n and every stand-in; after changing the pack, run `npm run dev` again.');
	log();
}
