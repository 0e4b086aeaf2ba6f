import * as fs from 'node:fs';
import * as path from 'node:path';

import * as entry from '../index';
import pkg from '../package.json';

/**
 * What n8n needs to load the pack: every file listed under "n8n" exists as TypeScript source,
 * its class is exported from index.ts, its icons exist (light and dark) and its codex file
 * names the node as n8n will (`<package>.<node>`).
 */
const root = path.resolve(__dirname, '..');
const exported = entry as unknown as Record<
	string,
	new () => { description: Record<string, unknown> }
>;

function sourceOf(distPath: string): string {
	return path.join(root, distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
}

function classFor(distPath: string) {
	const className = path.basename(distPath).split('.')[0];
	const Class = exported[className];
	if (!Class) throw new Error(`index.ts does not export ${className} (listed in package.json n8n)`);
	return new Class();
}

function iconFiles(icon: unknown): string[] {
	const icons =
		typeof icon === 'string' ? [icon] : Object.values((icon ?? {}) as Record<string, string>);
	return icons.map((file) => file.replace(/^file:/, ''));
}

describe('package.json n8n section', () => {
	it('lists at least the parse node and only dist/ paths', () => {
		expect(pkg.n8n.nodes).toContain('dist/nodes/EmailIntelParse/EmailIntelParse.node.js');
		for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials])
			expect(file).toMatch(/^dist\/.+\.js$/);
	});

	it.each(pkg.n8n.nodes)('%s: source, export, icons and codex', (distPath) => {
		expect(fs.existsSync(sourceOf(distPath))).toBe(true);
		const node = classFor(distPath) as unknown as {
			description?: Record<string, unknown>;
			nodeVersions?: Record<string, { description: Record<string, unknown> }>;
		};
		const description = node.description ?? {};
		const name = description.name as string;
		expect(name).toMatch(/^[a-z][A-Za-z0-9]+$/);
		const icons = iconFiles(description.icon);
		expect(icons.length).toBe(2);
		for (const icon of icons)
			expect(fs.existsSync(path.resolve(path.dirname(sourceOf(distPath)), icon))).toBe(true);
		const codex = JSON.parse(fs.readFileSync(sourceOf(distPath).replace(/\.ts$/, '.json'), 'utf8'));
		expect(codex.node).toBe(`${pkg.name}.${name}`);
	});

	it('every credential: source and export', () => {
		for (const distPath of pkg.n8n.credentials as string[]) {
			expect(fs.existsSync(sourceOf(distPath))).toBe(true);
			const credential = classFor(distPath) as unknown as { name: string; displayName: string };
			expect(credential.name).toMatch(/^[a-z][A-Za-z0-9]+$/);
			expect(credential.displayName.length).toBeGreaterThan(2);
		}
	});
});
