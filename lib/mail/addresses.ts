import type { AddressObject, EmailAddress as ParsedAddress } from 'mailparser';

import type { EmailAddress } from './types';

/** Flattens mailparser's address objects (groups included) into `{name, address}` pairs. */
export function normalizeAddressList(
	value: AddressObject | AddressObject[] | undefined,
): EmailAddress[] {
	if (!value) return [];
	const objects = Array.isArray(value) ? value : [value];
	const result: EmailAddress[] = [];
	const visit = (entry: ParsedAddress) => {
		if (entry.group) entry.group.forEach(visit);
		else if (entry.address || entry.name)
			result.push({ name: entry.name ?? '', address: entry.address ?? '' });
	};
	for (const object of objects) object.value.forEach(visit);
	return result;
}

export function normalizeAddress(value: AddressObject | undefined): EmailAddress | undefined {
	return normalizeAddressList(value)[0];
}
