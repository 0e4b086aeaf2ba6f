import { MailIntelError } from '../../lib/errors';

/** The MailIntelError a promise rejects with (fails the test if it resolves or throws anything else). */
export async function mailIntelFailure(promise: Promise<unknown>): Promise<MailIntelError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(MailIntelError);
		return error as MailIntelError;
	}
	throw new Error('expected a failure');
}
