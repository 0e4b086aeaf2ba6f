import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { buildSchema, type GraphQLSchema } from 'graphql';

/**
 * The real OpenCTI schema, vendored beside this file (test/fakes/opencti/README.md names its
 * source: the OpenCTI platform's printed relay.schema.graphql, version 6.9.17). The fake judges
 * requests by what the platform accepts; `.ci/run` checks the copy against a newer one when a
 * checkout provides it. Nothing here reads a file outside the repository.
 */
export const REPO_ROOT = findRepoRoot(__dirname);

/** The repository root (our package.json): works from test/ (ts-jest) and from compiled copies (.bench/build). */
function findRepoRoot(start: string): string {
	for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
		const manifest = path.join(dir, 'package.json');
		if (
			existsSync(manifest) &&
			JSON.parse(readFileSync(manifest, 'utf8')).name === 'n8n-nodes-email-intel'
		)
			return dir;
	}
	throw new Error(`cannot find the n8n-nodes-email-intel repository above ${start}`);
}
export const SCHEMA_PATH = path.join(REPO_ROOT, 'test/fakes/opencti/relay.schema.graphql');

let cached: GraphQLSchema | undefined;

export function openCtiSchema(): GraphQLSchema {
	cached ??= buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
	return cached;
}
