/**
 * The last URL a transport parsed, kept for its next request to the same address: a DSXA engine
 * sends every file to one upload URL, and parsing it again (a URL object per request) was
 * ~1,500 instructions of each upload (docs/performance.md, round 19). The URL object is only
 * read (by Node's http client and by error messages), never changed, so one can serve every
 * request. Owned by one transport, so no process-wide state.
 */
export class LastUrl {
	private href: string | undefined;
	private url: URL | undefined;

	/** The parsed URL; throws as `new URL` does for one that does not parse. */
	parse(href: string): URL {
		if (href === this.href && this.url) return this.url;
		const url = new URL(href);
		this.href = href;
		this.url = url;
		return url;
	}
}
