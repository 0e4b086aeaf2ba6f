import type { SplitterChunk } from '@zone-eu/mailsplit';

/**
 * Runs mailsplit's MessageSplitter over a source that is already in memory without its stream.
 *
 * The splitter's decisions (which line is a delimiter, headers, nodes, limits) are all made by
 * its own `processLine`, called here line by line with the same arguments: its output is the
 * one the stream emits for the same source written in one go (`splitter.end(source)`). What is
 * left out is the stream around it, which on hostile mail cost more than the splitting itself
 * (measured with `node --cpu-prof` on 10,000 parts: an object-mode push, an emit and a buffered
 * chunk per group, a batch of lines per event-loop turn, and the garbage of all of it).
 *
 * This is `_transform` of message-splitter.js (5.4) for a single write, then its `_flush`.
 * With one write there is no line pending from an earlier write, so the branches of
 * `_transform` that handle one are left out. Groups are handed to `onChunk` synchronously, in
 * the order the stream would emit them; the event loop gets a turn every YIELD_BYTES of input,
 * so a 4 MB message does not hold the thread for the whole split.
 */

/** The parts of MessageSplitter (mailsplit 5.4) this driver calls. */
interface SplitterCore {
	node: { parentNode: unknown; multipart: string | false };
	push(chunk: SplitterChunk): boolean;
	processLine(
		line: Buffer | false,
		final: boolean,
		next: (error?: Error | null, data?: SplitterChunk | false, flush?: boolean) => void,
	): void;
	appendPendingLine(chunk: Buffer): void;
	enforcePendingLineLimit(): Error | null;
}

type Group = { type: 'none' } | (SplitterChunk & { type: 'body' | 'data' });

/** Input split between two event-loop turns. */
const YIELD_BYTES = 64 * 1024;

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Splits `source` with `splitter` (a fresh MessageSplitter, hooks such as mime-depth.ts's
 * already installed), handing every chunk to `onChunk`. Rejects with the splitter's error
 * (a limit) or with what `onChunk` threw.
 */
export async function splitWhole(
	splitter: unknown,
	source: Buffer,
	onChunk: (chunk: SplitterChunk) => void,
): Promise<void> {
	const core = splitter as SplitterCore;
	// Everything the splitter pushes itself (a header-only node, an overlong line) goes the same way.
	core.push = (chunk) => {
		onChunk(chunk);
		return true;
	};
	let failure: Error | undefined;
	let group: Group = { type: 'none' };
	let groupstart = 0;
	let groupend = 0;
	let end = 0;

	/** message-splitter.js trimBodyLineEnd: a body's last line ending belongs to the delimiter. */
	const trimBodyLineEnd = (start: number, stop: number): number => {
		if (group.type !== 'body' || !group.node?.parentNode) return stop;
		if (stop > start && source[stop - 1] === 0x0a) {
			stop--;
			if (stop > start && source[stop - 1] === 0x0d) stop--;
		}
		return stop;
	};

	/** message-splitter.js onLine, for the line that ends at `end`. */
	const onLine = (error?: Error | null, data?: SplitterChunk | false, flush?: boolean): void => {
		if (error) {
			failure = error;
			return;
		}
		if (!data) return;
		if (flush) {
			if (group.type !== 'none') {
				groupend = trimBodyLineEnd(groupstart, groupend);
				if (groupstart < groupend) {
					group.value = source.subarray(groupstart, groupend);
					if (groupend < end && 'value' in data) data.value = source.subarray(groupend, end);
				}
				// Pushed even when nothing is left of it: a part whose body is one line ending.
				onChunk(group);
				group = { type: 'none' };
				groupstart = groupend = end;
			}
			onChunk(data);
			groupend = end;
			return;
		}
		if (data.type === group.type) {
			groupend = end;
			return;
		}
		groupend = trimBodyLineEnd(groupstart, groupend);
		if (group.type !== 'none' && groupstart !== groupend) {
			group.value = source.subarray(groupstart, groupend);
			if (group.value.length) {
				onChunk(group);
				group = { type: 'none' };
			}
		}
		if (data.type === 'node') {
			onChunk(data);
			groupstart = groupend = end;
		} else {
			group = data as Group;
			groupstart = groupend;
			groupend = end;
		}
	};

	let pos = 0;
	let turn = 0;
	while (pos < source.length) {
		const lf = source.indexOf(0x0a, pos);
		if (lf < 0) break;
		end = lf + 1;
		core.processLine(source.subarray(pos, end), false, onLine);
		if (failure) throw failure;
		pos = end;
		if (pos - turn >= YIELD_BYTES) {
			turn = pos;
			await yieldTurn();
		}
	}

	// The rest of the write: the last group, then the line without a line ending, kept pending.
	pos = trimBodyLineEnd(groupstart, pos);
	// (TypeScript does not see that onLine reassigns it.)
	const last = group as Group;
	if (last.type !== 'none' && pos > groupstart) {
		last.value = source.subarray(groupstart, pos);
		if (last.value.length) onChunk(last);
	}
	if (pos < source.length) core.appendPendingLine(source.subarray(pos));
	const pendingError = core.enforcePendingLineLimit();
	if (pendingError) throw pendingError;

	// _flush: the pending line, as the final one.
	core.processLine(false, true, (error, data) => {
		if (error) failure = error;
		else if (data && (data.type === 'node' || (data.value && data.value.length))) onChunk(data);
	});
	if (failure) throw failure;
}
