/**
 * Whether an untagged FETCH that came while one of the pack's listing FETCHes ran is an answer to
 * it. imapflow hands on every untagged FETCH that comes while its FETCH command runs, and a server
 * also sends unsolicited ones then, when another client changes a message's flags (RFC 3501
 * §7.4.2, RFC 7162 §3.2.4): FLAGS, UID, MODSEQ, never RFC822.SIZE. Every listing query of the
 * pack asks for the size, so a response without one is such an update, not a listed message:
 * taken as one, it named a message twice (the same new mail handed on twice) or replaced its
 * listing with one that lacks the date and size.
 */
export function isListingAnswer(message: { uid?: number; size?: number }): boolean {
	return typeof message.uid === 'number' && message.size !== undefined;
}
