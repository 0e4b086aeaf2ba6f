export {
	ImapProvider,
	type ImapProviderOptions,
	type ImapSearchFilter,
	type FetchedEmail,
	type FetchManyOptions,
} from './provider';
export { EMITTED_KEYS_CAP, type ImapCursor } from './cursor';
export { verifyImapSettings } from './verify';
export { imapError } from './errors';
export type { ImapAuth, ImapSecurity, ImapSettings } from './settings';
export {
	pollImap,
	imapIdentity,
	readImapState,
	type ImapTriggerState,
	type ImapPollOptions,
	type ImapPollResult,
	type PolledEmail,
} from './poll';
export { imapSource, imapCursorAfter, type ImapSourceOptions } from './source';
export {
	ImapConnectionPool,
	sharedImapPool,
	type PoolOptions,
	type PooledConnection,
} from './pool';
