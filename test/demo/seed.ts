// Puts the demo's mail where the examples read it, and delivers more on demand (the demo page's
// buttons, the examples e2e test). Mail to a Dovecot user goes through the real Postfix when it
// runs (SMTP submission as the sender, LMTP delivery), as a mail client's would.
import nodemailer from 'nodemailer';

import {
	graphMessage,
	INBOX_SEED,
	IOC_LIST,
	PHISHING_REPORT,
	rawEmail,
	THREAT_REPORT,
	type DemoEmail,
} from './mail';
import { DEMO_ACCOUNTS, type DemoServers } from './servers';

/** The first mail of every inbox; the report-phishing mailbox starts empty (example 4 waits for news). */
export async function seedDemoMail(servers: DemoServers): Promise<string[]> {
	const done: string[] = [];
	if (servers.dovecot) {
		await servers.dovecot.seed(
			DEMO_ACCOUNTS.intel.user,
			'INBOX',
			INBOX_SEED.map((email) => rawEmail(email, DEMO_ACCOUNTS.intel.user)),
		);
		done.push(`${INBOX_SEED.length} emails in ${DEMO_ACCOUNTS.intel.user} (Dovecot)`);
	}
	servers.graph.addMessages(DEMO_ACCOUNTS.staff, 'Inbox', INBOX_SEED.map(graphMessage));
	servers.graph.addMessages(
		DEMO_ACCOUNTS.threatIntel,
		'Inbox',
		[THREAT_REPORT, IOC_LIST].map(graphMessage),
	);
	done.push(
		`${INBOX_SEED.length} emails in ${DEMO_ACCOUNTS.staff} and 2 in ${DEMO_ACCOUNTS.threatIntel} (Microsoft 365 stand-in)`,
	);
	servers.gmail.addMessages(
		INBOX_SEED.map((email) => ({ raw: rawEmail(email, DEMO_ACCOUNTS.gmail) })),
	);
	done.push(`${INBOX_SEED.length} emails in ${DEMO_ACCOUNTS.gmail} (Gmail stand-in)`);
	return done;
}

/** New mail in a Microsoft 365 mailbox: the fake notifies every subscription on that folder. */
export function deliverToGraph(
	servers: DemoServers,
	email: DemoEmail,
	upn: string = DEMO_ACCOUNTS.staff,
) {
	const [message] = servers.graph.addMessages(upn, 'Inbox', [graphMessage(email)]);
	return message;
}

export function deliverToGmail(servers: DemoServers, email: DemoEmail) {
	return servers.gmail.addMessage({ raw: rawEmail(email, DEMO_ACCOUNTS.gmail) });
}

/**
 * The reporter sends PHISHING_REPORT to the report-phishing mailbox: submitted to Postfix (STARTTLS,
 * authenticated as the reporter) when it runs, else appended over IMAP.
 */
export async function reportPhishing(servers: DemoServers): Promise<'smtp' | 'imap'> {
	const { dovecot, postfix } = servers;
	if (!dovecot) throw new Error('Dovecot is not running: no mailbox to report to');
	const raw = rawEmail(PHISHING_REPORT, DEMO_ACCOUNTS.phishing.user);
	if (!postfix) {
		await dovecot.seed(DEMO_ACCOUNTS.phishing.user, 'INBOX', [raw]);
		return 'imap';
	}
	const transport = nodemailer.createTransport({
		host: postfix.host,
		port: postfix.submissionPort,
		secure: false,
		requireTLS: true,
		tls: { ca: dovecot.certPem },
		auth: { user: DEMO_ACCOUNTS.reporter.user, pass: DEMO_ACCOUNTS.reporter.password },
		connectionTimeout: 30_000,
		greetingTimeout: 30_000,
		socketTimeout: 60_000,
	});
	try {
		await transport.sendMail({
			envelope: { from: DEMO_ACCOUNTS.reporter.user, to: [DEMO_ACCOUNTS.phishing.user] },
			raw,
		});
	} finally {
		transport.close();
	}
	await postfix.waitForEmptyQueue();
	return 'smtp';
}
