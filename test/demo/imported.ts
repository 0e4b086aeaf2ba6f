// What a second `npm run dev` keeps: the examples it imported into its n8n user folder, by content
// hash. An example is imported again only when its file changed (same workflow id, so n8n updates
// it in place), and a user's edits to an unchanged example survive restarts.
import fs from 'node:fs';
import path from 'node:path';

import type { ExampleFile } from './examples';

/** In the dev user folder, next to n8n's own `.n8n/`. */
export const IMPORTED_FILE = '.imported-examples.json';

/** file name → sha256 of the text that was imported */
type Imported = Record<string, string>;

function readImported(userFolder: string): Imported {
	const file = path.join(userFolder, IMPORTED_FILE);
	if (!fs.existsSync(file)) return {};
	try {
		const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
		return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
			? (parsed as Imported)
			: {};
	} catch {
		// Unreadable (a run killed while writing it): importing every example again is safe, since
		// each has a fixed id and n8n's import replaces the workflow with that id.
		return {};
	}
}

/** The examples that are new or changed since the last start in this user folder. */
export function examplesToImport(userFolder: string, examples: ExampleFile[]): ExampleFile[] {
	const imported = readImported(userFolder);
	return examples.filter((example) => imported[example.file] !== example.hash);
}

/** Records these examples as imported (call once n8n started with them). */
export function rememberImported(userFolder: string, examples: ExampleFile[]): void {
	const imported = Object.fromEntries(examples.map((example) => [example.file, example.hash]));
	fs.writeFileSync(path.join(userFolder, IMPORTED_FILE), JSON.stringify(imported, null, 2));
}
