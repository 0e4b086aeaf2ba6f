// The example workflows (examples/*.json) as the demo and the examples e2e test import them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { REPO_ROOT } from '../e2e/pack';

export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');

export interface ExampleFile {
	file: string;
	/** sha256 of the file's text: `npm run dev` re-imports an example only when it changed */
	hash: string;
	workflow: { id?: string; name: string; nodes: Array<Record<string, unknown>> } & Record<
		string,
		unknown
	>;
}

export function readExamples(): ExampleFile[] {
	if (!fs.existsSync(EXAMPLES_DIR)) return [];
	return fs
		.readdirSync(EXAMPLES_DIR)
		.filter((name) => name.endsWith('.json'))
		.sort()
		.map((file) => {
			const text = fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');
			return {
				file,
				hash: createHash('sha256').update(text).digest('hex'),
				workflow: JSON.parse(text) as ExampleFile['workflow'],
			};
		});
}

export function readExample(file: string): ExampleFile {
	const found = readExamples().find((example) => example.file === file);
	if (!found) throw new Error(`examples/${file} does not exist`);
	return found;
}
