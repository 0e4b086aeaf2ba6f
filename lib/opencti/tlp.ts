/**
 * TLP marking definitions by their fixed STIX ids (the ids every OpenCTI platform seeds, and
 * the ones the Email Intel IMAP connector references). OpenCTI resolves a reference by any of
 * an object's ids, so these are sent as-is: no lookup request per report.
 */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpLevel = (typeof TLP_LEVELS)[number];

export const TLP_MARKING_IDS: Readonly<Record<TlpLevel, string>> = {
	clear: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
	green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
	amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
	'amber+strict': 'marking-definition--826578e1-40ad-459f-bc73-ede076f81f37',
	red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
};

export const DEFAULT_TLP: TlpLevel = 'amber+strict';

/** Accepts the connector's spellings too (`white` is the old name of `clear`, `TLP:AMBER+STRICT`). */
export function tlpMarkingId(level: string): string {
	const normalized = level.trim().toLowerCase().replace(/^tlp:/, '');
	const key = (normalized === 'white' ? 'clear' : normalized) as TlpLevel;
	const id = TLP_MARKING_IDS[key];
	if (!id)
		throw new RangeError(`unknown TLP level "${level}": use one of ${TLP_LEVELS.join(', ')}`);
	return id;
}
