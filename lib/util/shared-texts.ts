/**
 * One copy of each text that comes back again and again (a scanner's handful of reason texts):
 * the verdicts of a long scan then point at one string instead of each holding its own copy from
 * its answer's JSON. A verdict is kept until the scan run ends, and on a 2,000-file scan those
 * copies were a fifth of what each file left alive (docs/performance.md, round 19). Bounded:
 * past `bound` distinct texts, new ones are passed through unshared. Owned by its user (one per
 * engine), so it is no process-wide state.
 */
export class SharedTexts {
	private readonly texts = new Map<string, string>();

	constructor(private readonly bound = 64) {}

	shared(text: string): string {
		const known = this.texts.get(text);
		if (known !== undefined) return known;
		if (this.texts.size < this.bound) this.texts.set(text, text);
		return text;
	}
}
