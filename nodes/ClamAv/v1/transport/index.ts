import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import { ClamdEngine } from '../../../../lib/scan/clamd';

/** One clamd engine per execution from the `clamAvApi` credential (TCP or Unix socket). */
export async function clamdEngine(context: IExecuteFunctions): Promise<ClamdEngine> {
	return engineFromCredential(await context.getCredentials('clamAvApi'));
}

export function engineFromCredential(credentials: ICredentialDataDecryptedObject): ClamdEngine {
	const timeoutMs = (Number(credentials.timeoutSeconds) || 60) * 1000;
	if (credentials.connection === 'socket')
		return new ClamdEngine({ socketPath: String(credentials.socketPath ?? ''), timeoutMs });
	return new ClamdEngine({
		host: String(credentials.host ?? '127.0.0.1'),
		port: Number(credentials.port ?? 3310),
		timeoutMs,
	});
}
