/**
 * mailparser makes the `text` of an HTML-only message with html-to-text, which tokenizes with
 * htmlparser2. A `<` that cannot open markup (followed by anything but a letter, `!`, `?` or
 * `/`) is text, but the tokenizer hands each one over as its own piece and the DOM builder
 * appends them one by one: 1 MB of `<` cost ~300 ms and mostly garbage collection (measured with
 * `node --cpu-prof`), several times ordinary HTML of the same size.
 *
 * Such a `<` is therefore swapped for a stand-in character before the conversion and put back
 * after it. The stand-in (U+E000, private use) is, like `<` there, one UTF-16 unit that is
 * neither whitespace nor markup, so htmlparser2 builds the same DOM (the stand-in where the `<`
 * was, in text, attribute values and comments alike) and html-to-text lays it out the same way
 * (the same word, the same length for wrapping); the text comes out the same, with one text
 * piece instead of one per `<`. When the HTML can produce the stand-in itself (the character,
 * or a numeric reference to it), nothing is swapped. test/lib/mail/mail-parser.test.ts compares
 * the result with stock mailparser's on the hostile shapes and edge cases.
 */

const STAND_IN = '\uE000';
const STAND_IN_CODE = 0xe000;
const LESS_THAN = 0x3c;

/**
 * The HTML with every `<` that cannot open markup replaced by the stand-in, or undefined when
 * there is none or the swap would not be reversible.
 */
export function shieldLiteralLessThan(html: string): string | undefined {
	if (!html.includes('<') || html.includes(STAND_IN) || referencesStandIn(html)) return undefined;
	// One pass over the UTF-16 units: a replace per `<` costs what it saves on 1 MB of them.
	const units = utf16Units(html);
	let swapped = false;
	// A `<` at the very end stays: htmlparser2 emits it as text on its own, once.
	for (let at = 0; at < units.length - 1; at++) {
		if (units[at] === LESS_THAN && !opensMarkup(units[at + 1])) {
			units[at] = STAND_IN_CODE;
			swapped = true;
		}
	}
	return swapped ? fromUtf16Units(units) : undefined;
}

/** The converted text with the stand-ins back as `<`. */
export function unshield(text: string): string {
	if (!text.includes(STAND_IN)) return text;
	const units = utf16Units(text);
	for (let at = 0; at < units.length; at++) if (units[at] === STAND_IN_CODE) units[at] = LESS_THAN;
	return fromUtf16Units(units);
}

/** Whether a text holds the stand-in (then it did not come from a swap alone). */
export function holdsStandIn(text: string | undefined): boolean {
	return !!text && text.includes(STAND_IN);
}

/** After `<`, what htmlparser2 reads as markup in HTML mode: a letter, `!`, `?` or `/`. */
function opensMarkup(code: number): boolean {
	return (
		(code >= 0x41 && code <= 0x5a) ||
		(code >= 0x61 && code <= 0x7a) ||
		code === 0x21 ||
		code === 0x3f ||
		code === 0x2f
	);
}

/** A numeric character reference (`&#57344;`, `&#xE000`) that decodes to the stand-in. */
function referencesStandIn(html: string): boolean {
	for (let at = html.indexOf('&#'); at >= 0; at = html.indexOf('&#', at + 2)) {
		let pos = at + 2;
		const hex = html[pos] === 'x' || html[pos] === 'X';
		if (hex) pos++;
		let value = 0;
		for (; pos < html.length; pos++) {
			const digit = hex ? parseInt(html[pos], 16) : html.charCodeAt(pos) - 0x30;
			if (Number.isNaN(digit) || digit < 0 || digit > (hex ? 15 : 9)) break;
			// Past U+10FFFF it decodes to U+FFFD however long it goes on.
			value = Math.min(value * (hex ? 16 : 10) + digit, 0x110000);
		}
		if (value === STAND_IN_CODE) return true;
	}
	return false;
}

/** The string's UTF-16 code units, in a fresh array of their own. */
function utf16Units(value: string): Uint16Array {
	const units = new Uint16Array(value.length);
	Buffer.from(units.buffer).write(value, 'utf16le');
	return units;
}

function fromUtf16Units(units: Uint16Array): string {
	return Buffer.from(units.buffer, units.byteOffset, units.byteLength).toString('utf16le');
}
