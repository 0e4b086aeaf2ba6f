import { createHash } from 'node:crypto';

/** OpenCTI's namespace for standard ids of STIX domain objects (pycti / identifier.js). */
export const OPENCTI_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
export function uuidv5(name: string, namespace: string): string {
	const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
	const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
	hash[6] = (hash[6] & 0x0f) | 0x50;
	hash[8] = (hash[8] & 0x3f) | 0x80;
	const hex = hash.subarray(0, 16).toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 8785-style canonical JSON for flat objects of strings: keys sorted, no spaces. */
export function canonicalJson(data: Record<string, string>): string {
	return `{${Object.keys(data)
		.sort()
		.map((key) => `${JSON.stringify(key)}:${JSON.stringify(data[key])}`)
		.join(',')}}`;
}

/** OpenCTI's name normalization for ids: lower case, trimmed. */
const normalizeName = (name: string) => name.trim().toLowerCase();

/** `report--uuidv5({name, published})`: reports with the same name and publication date are one report. */
export function reportStandardId(name: string, published: string): string {
	const data = { name: normalizeName(name), published: new Date(published).toISOString() };
	return `report--${uuidv5(canonicalJson(data), OPENCTI_NAMESPACE)}`;
}

export function identityStandardId(name: string, identityClass: string): string {
	return `identity--${uuidv5(canonicalJson({ name: normalizeName(name), identity_class: identityClass }), OPENCTI_NAMESPACE)}`;
}

export function labelStandardId(value: string): string {
	return `label--${uuidv5(canonicalJson({ value: normalizeName(value) }), OPENCTI_NAMESPACE)}`;
}

export function externalReferenceStandardId(
	sourceName: string,
	externalId?: string,
	url?: string,
): string {
	const data: Record<string, string> = { source_name: sourceName };
	if (url) data.url = url;
	else if (externalId) data.external_id = externalId;
	return `external-reference--${uuidv5(canonicalJson(data), OPENCTI_NAMESPACE)}`;
}
