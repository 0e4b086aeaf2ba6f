// `npm run screenshots`: the README's pictures, taken from this pack running in a real n8n.
// Starts the demo's stand-ins (free ports, so a running `npm run dev` is not disturbed) and a
// throwaway n8n with the examples, publishes "IMAP → OpenCTI" so one finished execution exists,
// then drives Debian's Chromium (headless, fresh user-data dir) with playwright-core: each example
// on the canvas, that execution (its canvas, then the OpenCTI node's items), and the OpenCTI
// stand-in's page with the reports it made. The images go to docs/images/, replacing the old ones.
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

/**
 * Closes n8n's "Production Checklist" popover, which 2.41 opens by itself on a published
 * workflow's page and which would cover the left of the picture (the executions list).
 */
async function closeChecklist(page: Page): Promise<void> {
	const close = page.locator('[data-test-id="suggested-actions-close"]');
	if (await close.isVisible()) {
		await close.click();
		await close.waitFor({ state: 'hidden', timeout: 10_000 });
	}
}

/** Waits until the canvas shows its nodes and n8n's toasts and tooltips have settled. */
async function canvasReady(page: Page): Promise<void> {
	await page.locator('.vue-flow__node').first().waitFor({ timeout: 60_000 });
	await page.waitForTimeout(1500);
	await closeChecklist(page);
	// A "fit view" so every node is in the picture (n8n's canvas shortcut is "1").
	await page.keyboard.press('1');
	await page.waitForTimeout(800);
}

/**
 * One finished execution in n8n 2.41's execution view: the canvas (no iframe since 2.x: the
 * preview is rendered in place, in `execution-preview-host`), then the node opened by a
 * double-click, its output panel showing the items. On a miss, the page and the data-test-ids it
 * had go to a debug folder named in the error (n8n's markup moves between versions).
 */
async function shootExecution(
	page: Page,
	shot: { url: string; nodeName: string; canvasFile: string; file: string },
): Promise<void> {
	try {
		await page.goto(shot.url);
		const node = page
			.locator('[data-test-id="execution-preview-host"] .vue-flow__node')
			.filter({ hasText: shot.nodeName })
			.first();
		await node.waitFor({ timeout: 60_000 });
		await page.waitForTimeout(1500);
		await closeChecklist(page);
		await page.screenshot({ path: shot.canvasFile });
		log(`${path.relative(REPO_ROOT, shot.canvasFile)}: a finished execution on the canvas`);
		await node.dblclick();
		const output = page.locator(
			'[data-test-id="ndv"] [data-test-id="output-panel"] [data-test-id="ndv-data-container"]',
		);
		await output.waitFor({ timeout: 30_000 });
		await page.waitForTimeout(1000);
		await page.screenshot({ path: shot.file });
		log(`${path.relative(REPO_ROOT, shot.file)}: that execution's ${shot.nodeName} items`);
	} catch (error) {
		const debug = fs.mkdtempSync(path.join(os.tmpdir(), 'email-intel-screenshots-'));
		await page.screenshot({ path: path.join(debug, 'page.png') }).catch(() => undefined);
		const ids = await page
			.locator('[data-test-id]')
			.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-test-id')))
			.catch(() => []);
		fs.writeFileSync(path.join(debug, 'data-test-ids.txt'), ids.join('\n'));
		fs.writeFileSync(path.join(debug, 'page.html'), await page.content().catch(() => ''));
		throw new Error(
			`the execution view at ${page.url()} did not show what was expected (page, data-test-ids and HTML in ${debug}): ${error instanceof Error ? error.message : String(error)}`,
		);
	}
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

			await shootExecution(page, {
				url: `${n8n.url}/workflow/${first.workflow.id}/executions/${execution.id}`,
				nodeName: 'OpenCTI',
				canvasFile: path.join(OUT, 'execution-imap-to-opencti-canvas.png'),
				file: path.join(OUT, 'execution-imap-to-opencti.png'),
			});

			await page.goto(`${servers.opencti.url}/`);
			// The execution above created the reports; the page lists them (and says "0 report(s)" before).
			await page.locator('.report').first().waitFor({ timeout: 30_000 });
			const openCtiFile = path.join(OUT, 'opencti-stand-in.png');
			// The whole page: every report with its files and markings (a handful: the seeded mail).
			await page.screenshot({ path: openCtiFile, fullPage: true });
			log(`${path.relative(REPO_ROOT, openCtiFile)}: the OpenCTI stand-in's page`);
		} finally {
			await context.close();
		}
	} finally {
		await n8n?.stop();
		await servers.stop();
		fs.rmSync(userData, { recursive: true, force: true });
	}
}
