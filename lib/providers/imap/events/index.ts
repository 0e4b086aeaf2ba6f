export {
	MailboxWatcher,
	MAX_IDLE_MS,
	RECONNECT_INITIAL_MS,
	RECONNECT_MAX_MS,
	type WatcherOptions,
	type WatcherSink,
} from './watcher';
export { watchMemory } from './memory';
export { changesAmongKnown, flagDiff, normalizeFlags } from './changes';
export type {
	DeletedMessageEvent,
	EventCursor,
	FlagsByUid,
	MailboxEvent,
	NewMessageEvent,
	UpdatedMessageEvent,
	WatchMemory,
} from './types';
