import { htmlToText } from 'html-to-text';

import { shieldLiteralLessThan, unshield } from '../../../lib/mail/html-text';

// mailparser converts an HTML-only body with html-to-text; LeanMailParser converts it with its
// literal `<` swapped for a stand-in and swaps them back (lib/mail/html-text.ts). The text must
// be what html-to-text makes of the HTML as sent. mail-parser.test.ts compares whole parses with
// stock mailparser; here the conversion itself, at the benchmark's full size too.

const viaStandIn = (html: string): string => {
	const shielded = shieldLiteralLessThan(html);
	return shielded === undefined ? htmlToText(html) : unshield(htmlToText(shielded));
};

describe('converting HTML with its literal < swapped gives html-to-text’s text', () => {
	it.each([
		['1 MB of < after a paragraph', `<p>before</p>${'<'.repeat(1024 * 1024)}`],
		['< and a space, 200,000 times', `<div>x</div>${'< '.repeat(200_000)}`],
		[
			'< in text, attributes, comments and raw text',
			'<p title="a<b">1<2 <!--<x--> <a href="h<1">l<1</a></p><script>a<b</script>',
		],
		['markup right after <', '<p><<b>bold</b> <</p> <<br>x <</p>'],
	])('%s', (_name, html) => {
		expect(shieldLiteralLessThan(html)).toBeDefined();
		expect(viaStandIn(html)).toBe(htmlToText(html));
	});

	it('swaps nothing when there is nothing to swap, or when the HTML can produce the stand-in itself', () => {
		expect(shieldLiteralLessThan('<p>only markup</p>')).toBeUndefined();
		expect(shieldLiteralLessThan('text <')).toBeUndefined();
		expect(shieldLiteralLessThan('<p>\uE000 < x</p>')).toBeUndefined();
		expect(shieldLiteralLessThan('<p>&#57344; < x</p>')).toBeUndefined();
		expect(shieldLiteralLessThan('<p>&#xe000 < x</p>')).toBeUndefined();
		expect(shieldLiteralLessThan('<p>&#0057344;< x</p>')).toBeUndefined();
		// Other references are fine.
		expect(shieldLiteralLessThan('<p>&#57345; &#x3c; < x</p>')).toBe(
			'<p>&#57345; &#x3c; \uE000 x</p>',
		);
	});
});
