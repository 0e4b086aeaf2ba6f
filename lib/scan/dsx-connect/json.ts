/**
 * The bytes dsx-connect puts on the wire: Python's `json.dumps(value, separators=(",", ":"))`.
 * Compact, and with `ensure_ascii` on, so every non-ASCII UTF-16 code unit is written as a
 * lower-case `\uXXXX` escape (an astral character as its surrogate pair). What is signed is
 * exactly these bytes; a verifier must check the raw body, never a re-serialised object.
 */
export function dsxJson(value: unknown): string {
	return JSON.stringify(value).replace(
		/[\u0080-\uffff]/g,
		(char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
	);
}
