// `npm run screenshots`: the README's pictures, taken from this pack running in a real n8n.
// Starts the demo's stand-ins (free ports, so a running `npm run dev` is not disturbed) and a
// throwaway n8n with the examples, publishes "IMAP → OpenCTI" so one finished execution exists,
// then drives Debian's Chromium (headless, fresh user-data dir) with playwright-core: each example
// on the canvas, that execution with its items, and the OpenCTI stand-in's page. The images go to
// docs/images/, replacing the old ones.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium, type Page } from 'playwright-core';

import { bindCredentials, demoCredentials } from '../demo/credentials';
import { readExamples } from '../demo/examples';
import { seedDemoMail } from '../demo/seed';
import { startDemoServers } from '../demo/servers';
import { OWNER, startN8n } from '../e2e/harness';
import { REPO_ROOT } from '../e2e/pack';
import { CHROMIUM, ensureChromiumInstalled } from './ensure-chromium';

const OUT = path.join(REPO_ROOT, 'docs', 'images');
const VIEWPORT = { width: 1440, height: 860 };
const IMAP_TO_OPENCTI = 'imap-to-opencti.json';

function log(line: string): void {
	console.log(`[screenshots] ${line}`);
}

async function signIn(page: Page, url: string): Promise<void> {
	await page.goto(`${url}/signin`);
	await page
		.locator('input[name="emailOrLdapLoginId"], input[type="email"]')
		.first()
		.fill(OWNER.email);
	await page.locator('input[name="password"], input[type="password"]').first().fill(OWNER.password);
	await page.keyboard.press('Enter');
	await page.waitForURL((target: URL) => !target.pathname.startsWith('/signin'), {
		timeout: 60_000,
	});
}

/** Waits until the canvas shows its nodes and n8n's toasts and tooltips have settled. */
async function canvasReady(page: Page): Promise<void> {
	await page.locator('.vue-flow__node').first().waitFor({ timeout: 60_000 });
	await page.waitForTimeout(1500);
	// A "fit view" so every node is in the picture (n8n's canvas shortcut is "1").
	await page.keyboard.press('1');
	await page.waitForTimeout(800);
}

export async function main(): Promise<void> {
	// playwright-core's pipe to the browser does not hold Node's event loop open by itself: a run
	// once ended (exit 0) between two pictures. This timer keeps the process alive until done.
	const keepAlive = setInterval(() => undefined, 1000);
	try {
		await takeAll();
	} finally {
		clearInterval(keepAlive);
	}
}

async function takeAll(): Promise<void> {
	ensureChromiumInstalled();
	fs.mkdirSync(OUT, { recursive: true });
	const servers = await startDemoServers();
	const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'email-intel-chromium-'));
	let n8n: Awaited<ReturnType<typeof startN8n>> | undefined;
	try {
		for (const note of servers.notes) log(`NOTE: ${note}`);
		await seedDemoMail(servers);
		const credentials = demoCredentials(servers);
		const examples = readExamples();
		const first = examples.find((example) => example.file === IMAP_TO_OPENCTI);
		if (!first?.workflow.id) throw new Error(`examples/${IMAP_TO_OPENCTI} needs a fixed id`);
		n8n = await startN8n({
			credentials,
			workflows: examples.map((example) => bindCredentials(example.workflow, credentials)),
			publish: [first.workflow.id],
		});
		const [execution] = await n8n.waitForExecutions(first.workflow.id, 1, 120_000);
		log(`execution ${execution.id} of "${first.workflow.name}": ${execution.status}`);

		const context = await chromium.launchPersistentContext(userData, {
			executablePath: CHROMIUM,
			headless: true,
			args: ['--no-sandbox', '--disable-gpu'],
			viewport: VIEWPORT,
		});
		try {
			const page = context.pages()[0] ?? (await context.newPage());
			await signIn(page, n8n.url);
			for (const example of examples) {
				log(`opening "${example.workflow.name}"`);
				await page.goto(`${n8n.url}/workflow/${example.workflow.id}`);
				await canvasReady(page);
				const file = path.join(OUT, example.file.replace(/\.json$/, '.png'));
				await page.screenshot({ path: file });
				log(`${path.relative(REPO_ROOT, file)}: ${example.workflow.name}`);
			}

			await page.goto(`${servers.opencti.url}/`);
			const openCtiFile = path.join(OUT, 'opencti-stand-in.png');
			await page.screenshot({ path: openCtiFile, fullPage: false });
			log(`${path.relative(REPO_ROOT, openCtiFile)}: the OpenCTI stand-in's page`);

			// Not working yet: n8n 2.41's execution view did not show the nodes this looks for.
			await page.goto(`${n8n.url}/workflow/${first.workflow.id}/executions/${execution.id}`);
			await page.waitForTimeout(3000);
			// The execution preview is an iframe holding a canvas; open the OpenCTI node's items.
			const preview = page.frameLocator('iframe').first();
			const node = preview.locator('.vue-flow__node', { hasText: 'OpenCTI' }).first();
			await node.waitFor({ timeout: 60_000 });
			await node.dblclick();
			await page.waitForTimeout(2000);
			const executionFile = path.join(OUT, 'execution-imap-to-opencti.png');
			await page.screenshot({ path: executionFile });
			log(`${path.relative(REPO_ROOT, executionFile)}: a finished execution with its items`);
		} finally {
			await context.close();
		}
	} finally {
		await n8n?.stop();
		await servers.stop();
		fs.rmSync(userData, { recursive: true, force: true });
	}
}
