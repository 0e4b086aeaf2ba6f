/**
 * OpenCTI accepts files inside `reportAdd` (`files`, `filesMarkings`, `noTriggerImport`,
 * `embedded`) from 6.9.7 on; older platforms need `importPush` per file after the create.
 */
export const FILES_IN_ADD_SINCE = [6, 9, 7] as const;

export function parseVersion(version: string): number[] {
	return (version.match(/\d+/g) ?? []).slice(0, 3).map(Number);
}

export function supportsFilesInAdd(version: string): boolean {
	const parts = parseVersion(version);
	for (let index = 0; index < FILES_IN_ADD_SINCE.length; index++) {
		const have = parts[index] ?? 0;
		if (have !== FILES_IN_ADD_SINCE[index]) return have > FILES_IN_ADD_SINCE[index];
	}
	return true;
}
