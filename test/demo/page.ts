// The demo's own page (http://127.0.0.1:5679): links to n8n and the OpenCTI stand-in, what is in
// the Microsoft 365 stand-in's staff mailbox (so a remediated email's banner and missing
// attachment show), and buttons that deliver new mail for the examples that wait for news.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { escapeHtml } from '../fakes/opencti/page';
import { EICAR_INVOICE, THREAT_REPORT } from './mail';
import { deliverToGmail, deliverToGraph, reportPhishing } from './seed';
import { DEMO_ACCOUNTS, type DemoServers } from './servers';

export interface DemoPage {
	url: string;
	close(): Promise<void>;
}

const ACTIONS: Record<string, { label: string; run: (servers: DemoServers) => Promise<string> }> = {
	'graph-eicar': {
		label: `Deliver the EICAR invoice to ${DEMO_ACCOUNTS.staff} (Microsoft 365: example 2)`,
		run: async (servers) => {
			deliverToGraph(servers, EICAR_INVOICE);
			return `delivered "${EICAR_INVOICE.subject}" to ${DEMO_ACCOUNTS.staff}`;
		},
	},
	'graph-report': {
		label: `Deliver a threat report to ${DEMO_ACCOUNTS.threatIntel} (Microsoft 365 → OpenCTI)`,
		run: async (servers) => {
			deliverToGraph(servers, THREAT_REPORT, DEMO_ACCOUNTS.threatIntel);
			return `delivered "${THREAT_REPORT.subject}" to ${DEMO_ACCOUNTS.threatIntel}`;
		},
	},
	'report-phishing': {
		label: `Report phishing to ${DEMO_ACCOUNTS.phishing.user} as ${DEMO_ACCOUNTS.reporter.user} (IMAP: example 4)`,
		run: async (servers) => {
			const how = await reportPhishing(servers);
			return `sent the report to ${DEMO_ACCOUNTS.phishing.user} (${how === 'smtp' ? 'through Postfix' : 'IMAP APPEND: Postfix is not running'})`;
		},
	},
	'gmail-eicar': {
		label: `Deliver the EICAR invoice to ${DEMO_ACCOUNTS.gmail} (Gmail)`,
		run: async (servers) => {
			deliverToGmail(servers, EICAR_INVOICE);
			return `delivered "${EICAR_INVOICE.subject}" to ${DEMO_ACCOUNTS.gmail}`;
		},
	},
};

/** A body as a line of plain text: tags dropped, entities left as written, then escaped for the page. */
function bodyPreview(body: string): string {
	const text = body
		.replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ')
		.replace(/<[^>]*>/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	return escapeHtml(text.length > 400 ? `${text.slice(0, 400)}…` : text);
}

function mailboxTable(servers: DemoServers, upn: string): string {
	const rows = servers.graph
		.mailboxMessages(upn)
		.map(
			(message) =>
				`<tr><td>${escapeHtml(servers.graph.folderName(upn, message.folder) ?? message.folder)}</td><td>${escapeHtml(message.subject)}</td><td>${message.attachments.map((a) => escapeHtml(a.name)).join('<br>') || '<span class="none">none</span>'}</td><td>${message.categories.map(escapeHtml).join('<br>')}</td><td class="body">${bodyPreview(message.body)}</td></tr>`,
		)
		.join('');
	return `<table><thead><tr><th>Folder</th><th>Subject</th><th>Attachments</th><th>Categories</th><th>Body (as text)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function render(servers: DemoServers, links: Record<string, string>, flash: string): string {
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Email Intel demo</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{padding:14px 24px;background:#1e293b;color:#f8fafc}header h1{font-size:18px;margin:0}
header a{color:#93c5fd;margin-right:16px}main{padding:16px 24px}
form{display:inline-block;margin:0 8px 8px 0}button{padding:6px 10px;border-radius:6px;border:1px solid #94a3b8;background:#fff;cursor:pointer}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-top:1px solid #e2e8f0}
.body{color:#475569;max-width:520px}.none{color:#94a3b8}.flash{background:#dcfce7;padding:8px 12px;border-radius:6px}
.notes{background:#fef9c3;padding:8px 12px;border-radius:6px}
</style></head><body>
<header><h1>Email Intel demo</h1><p>${Object.entries(links)
		.map(([label, url]) => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`)
		.join('')}</p></header>
<main>
${flash ? `<p class="flash">${escapeHtml(flash)}</p>` : ''}
${servers.notes.length ? `<div class="notes">${servers.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('')}</div>` : ''}
<h2>New mail</h2>
${Object.entries(ACTIONS)
	.map(
		([name, action]) =>
			`<form method="post" action="/deliver/${name}"><button>${escapeHtml(action.label)}</button></form>`,
	)
	.join('\n')}
<h2>Microsoft 365 stand-in: ${escapeHtml(DEMO_ACCOUNTS.staff)}</h2>
${mailboxTable(servers, DEMO_ACCOUNTS.staff)}
</main></body></html>`;
}

export async function startDemoPage(
	servers: DemoServers,
	options: { port?: number; links: Record<string, string> },
): Promise<DemoPage> {
	let flash = '';
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://demo');
		if (req.method === 'GET' && url.pathname === '/') {
			res
				.writeHead(200, {
					'content-type': 'text/html; charset=utf-8',
					'content-security-policy':
						"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
				})
				.end(render(servers, options.links, flash));
			flash = '';
			return;
		}
		const action = /^\/deliver\/([\w-]+)$/.exec(url.pathname)?.[1];
		// Only this page's own forms may deliver (another site's page could post here too).
		const origin = req.headers.origin;
		const ownOrigin = `http://${req.headers.host}`;
		if (req.method === 'POST' && action && ACTIONS[action] && (!origin || origin === ownOrigin)) {
			req.resume();
			ACTIONS[action]
				.run(servers)
				.then((message) => (flash = message))
				.catch((error: unknown) => (flash = `failed: ${(error as Error).message}`))
				.finally(() => res.writeHead(303, { location: '/' }).end());
			return;
		}
		res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
	});
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
