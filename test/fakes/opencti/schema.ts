import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { buildSchema, type GraphQLSchema } from 'graphql';

/**
 * The real OpenCTI schema, read from the shared folder beside the repository (CI clones the
 * repo with shared/ next to it). Never copied into the repo: the fake must judge requests by
 * what the platform accepts, not by a local edit.
 */
export const REPO_ROOT = findRepoRoot(__dirname);

/** The repository (package.json with shared/ beside it): works from test/ (ts-jest) and from compiled copies (.bench/build). */
function findRepoRoot(start: string): string {
	for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
		const manifest = path.join(dir, 'package.json');
		const schema = path.resolve(dir, '../shared/opencti/relay.schema.graphql');
		if (
			existsSync(manifest) &&
			existsSync(schema) &&
			JSON.parse(readFileSync(manifest, 'utf8')).name === 'n8n-nodes-email-intel'
		)
			return dir;
	}
	throw new Error(`cannot find the n8n-nodes-email-intel repository above ${start}`);
}
export const SCHEMA_PATH = path.resolve(REPO_ROOT, '../shared/opencti/relay.schema.graphql');

let cached: GraphQLSchema | undefined;

export function openCtiSchema(): GraphQLSchema {
	cached ??= buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
	return cached;
}
