import { DateTime, Duration } from 'luxon';

import { MailIntelError } from '../../lib/errors';

export const DEFAULT_START_DATE = 'P30D';

/**
 * The triggers' "Relative Import Start Date": a positive ISO-8601 duration before now. A bad
 * value is a MailIntelError naming the parameter and a valid example.
 */
export function startDateFrom(text: string | undefined, now: DateTime = DateTime.utc()): Date {
	const value = (text ?? DEFAULT_START_DATE).trim() || DEFAULT_START_DATE;
	const duration = Duration.fromISO(value);
	if (!duration.isValid || now.minus(duration) > now) {
		throw new MailIntelError(`"${value}" is not an ISO-8601 duration`, {
			source: 'config',
			code: 'BAD_CONFIG',
			field: 'relativeImportStartDate',
			hint: 'Use a positive ISO-8601 duration such as P30D (30 days), P1W or PT6H.',
		});
	}
	return now.minus(duration).toJSDate();
}
