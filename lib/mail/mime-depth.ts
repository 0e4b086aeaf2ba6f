import type { MimeNode } from '@zone-eu/mailsplit';

/**
 * How deep MIME may nest before the parser stops opening parts: a part more than this many
 * levels below the message (each multipart and each inline embedded message is a level) is not
 * read. Mail software bounds it the same way: Postfix's `mime_nesting_limit` defaults to 100
 * (its sample configuration: mail nested deeper is refused); MimeKit's `MaxMimeDepth` reads the
 * part at its limit as a leaf, as done here; GMime reports deeper nesting as "very likely an
 * attempt to exploit the MIME parser". Legitimate mail, forwards of forwards included, stays far
 * below it.
 *
 * Why a limit at all: mailsplit gives every part its full path number (1.1.1.…), so the parse
 * costs the square of the depth, and mailparser assembles text and HTML recursively, which
 * overflows the stack from about 3,500 levels (measured). Bounded, both are linear.
 */
export const MAX_MIME_DEPTH = 100;

/** What parse.ts records on an item whose nesting went past the limit (`parseError`). */
export function nestingLimitMessage(maxDepth: number): string {
	return (
		`MIME nesting deeper than ${maxDepth} levels: the parts below level ${maxDepth} were not read ` +
		'(the headers and the parts above it were). Legitimate mail does not nest this deep ' +
		`(Postfix's mime_nesting_limit is ${MAX_MIME_DEPTH} by default): treat the message as ` +
		'hostile and inspect its raw source (binary "raw") offline rather than in a mail client.'
	);
}

/** Whether a parse went past the limit; read once the splitter ended. */
export interface NestingLimit {
	exceeded: boolean;
}

/** The parts of mailsplit's MessageSplitter (5.4) the limit hooks into. */
interface SplitterInternals {
	node: NodeInternals;
	config: SplitterConfig;
	newNode(parent?: NodeInternals | false): void;
}

interface SplitterConfig {
	ignoreEmbedded?: boolean;
	defaultInlineEmbedded?: boolean;
}

/** Where a node's depth is kept (the root, created with the splitter, has none: 0). */
const DEPTH = Symbol('mimeDepth');

type NodeInternals = MimeNode & {
	_boundary: Buffer | false;
	parseHeaders(): void;
	[DEPTH]?: number;
};

/**
 * Bounds the nesting depth of one mailsplit splitter, the one both MIME readers use (the walker
 * and LeanMailParser), so both stop at the same part. A node at `maxDepth` is read as a leaf:
 * - a node with a boundary (a multipart) gets no children: its body is read as the multipart's
 *   own preamble, which mailparser ignores, so nothing below it is listed;
 * - an inline message/rfc822 is not opened: it stays one `message/rfc822` part (an attachment
 *   the policy judges like any other), as it would with the splitter's `ignoreEmbedded`.
 * Either way the delimiters of the levels above still end it, so the parts after the over-deep
 * subtree are read as usual. The splitter's own line loop stays as it is: linear.
 */
export function limitNesting(splitter: unknown, maxDepth: number = MAX_MIME_DEPTH): NestingLimit {
	const internals = splitter as SplitterInternals;
	const limit: NestingLimit = { exceeded: false };
	/** Embedded messages at the limit: the splitter must not open them. */
	const closed = new WeakSet<object>();

	const base = internals.config;
	// mailsplit decides to open an embedded message right after its headers, reading
	// `config.ignoreEmbedded`; for a message at the limit that answer is "ignore".
	internals.config = Object.create(base, {
		ignoreEmbedded: { get: () => !!base.ignoreEmbedded || closed.has(internals.node) },
	}) as SplitterConfig;

	const newNode = internals.newNode;
	internals.newNode = function (this: SplitterInternals, parent) {
		newNode.call(this, parent);
		const node = this.node;
		// On the node itself: a WeakMap entry per part cost garbage-collection time on 10,000 parts.
		const depth = parent ? (parent[DEPTH] ?? 0) + 1 : 0;
		node[DEPTH] = depth;
		if (depth < maxDepth) return;
		const parseHeaders = node.parseHeaders;
		node.parseHeaders = function (this: NodeInternals) {
			parseHeaders.call(this);
			if (this._boundary) {
				this._boundary = false;
				limit.exceeded = true;
			} else if (opensAsMessage(this, base)) {
				closed.add(this);
				limit.exceeded = true;
			}
		};
	};
	return limit;
}

/**
 * Whether mailsplit would open this part as an embedded message (message-splitter.js
 * processLine, the same condition): message/rfc822, not transfer-encoded, and inline (or not
 * an attachment, with `defaultInlineEmbedded`).
 */
function opensAsMessage(node: NodeInternals, config: SplitterConfig): boolean {
	if (node.contentType !== 'message/rfc822' || config.ignoreEmbedded) return false;
	if (node.encoding && !['7bit', '8bit', 'binary'].includes(node.encoding)) return false;
	return config.defaultInlineEmbedded
		? node.disposition !== 'attachment'
		: node.disposition === 'inline';
}
