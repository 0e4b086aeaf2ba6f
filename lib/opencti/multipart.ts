import type { FileUpload } from './types';

/**
 * A request body following the GraphQL multipart request spec
 * (github.com/jaydenseric/graphql-multipart-request-spec): an `operations` part with the
 * files set to null in the variables, a `map` part from file part names to variable paths,
 * then one part per file. graphql-request cannot send this, so uploads are built here.
 */
export interface FileSlot {
	/** Variable path the file replaces, e.g. `variables.input.files.0`. */
	path: string;
	file: FileUpload;
}

export function multipartBody(
	query: string,
	variables: Record<string, unknown>,
	slots: FileSlot[],
): FormData {
	const form = new FormData();
	form.append('operations', JSON.stringify({ query, variables }));
	const map: Record<string, string[]> = {};
	slots.forEach((slot, index) => (map[String(index)] = [slot.path]));
	form.append('map', JSON.stringify(map));
	slots.forEach((slot, index) => {
		const blob = new Blob([new Uint8Array(slot.file.data)], {
			type: slot.file.mimeType || 'application/octet-stream',
		});
		form.append(String(index), blob, slot.file.name);
	});
	return form;
}
