import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import { DsxaEngine, type DsxaOptions } from '../../../../lib/scan/dsxa';

/**
 * One DSXA engine per execution from the `deepInstinctDsxApi` credential. The HTTP stays in lib/
 * (the pack's transport streams the file as the request body, which n8n's request helpers
 * cannot do the same way on n8n 1.x and 2.x); the credential test builds the same engine.
 */
export async function dsxaEngine(context: IExecuteFunctions): Promise<DsxaEngine> {
	return engineFromCredential(await context.getCredentials('deepInstinctDsxApi'));
}

export function engineFromCredential(
	credentials: ICredentialDataDecryptedObject,
	extra: Partial<DsxaOptions> = {},
): DsxaEngine {
	const ca = String(credentials.ca ?? '').trim();
	return new DsxaEngine({
		url: String(credentials.url ?? ''),
		token: String(credentials.token ?? ''),
		allowUnencryptedHttp: credentials.allowUnencryptedHttp === true,
		protectedEntity: Number(credentials.protectedEntity ?? 1) || 1,
		...(ca ? { ca } : {}),
		...(credentials.dangerouslySkipTlsVerification === true
			? { dangerouslySkipTlsVerification: true }
			: {}),
		...extra,
	});
}
