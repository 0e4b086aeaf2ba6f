import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import { OpenCtiClient, type OpenCtiClientOptions } from '../../../../lib/opencti';

/**
 * One OpenCTI client per execution, from the `emailIntelOpenCtiApi` credential. The HTTP stays in lib/
 * (graphql-request for JSON, a GraphQL-multipart body for files, both over Node's fetch):
 * n8n's httpRequestWithAuthentication cannot carry graphql-request nor a streamed multipart
 * upload the same way on n8n 1.x and 2.x, and lib/ must stay free of n8n. The credential test
 * builds the same client (credential-test.ts), so it refuses what an execution would refuse.
 */
export async function openCtiClient(this: IExecuteFunctions): Promise<OpenCtiClient> {
	return clientFromCredential(await this.getCredentials('emailIntelOpenCtiApi'));
}

export function clientFromCredential(
	credentials: ICredentialDataDecryptedObject,
	options: Pick<OpenCtiClientOptions, 'retry'> = {},
): OpenCtiClient {
	return new OpenCtiClient({
		url: String(credentials.url ?? ''),
		token: String(credentials.token ?? ''),
		allowUnencryptedHttp: credentials.allowUnencryptedHttp === true,
		...options,
	});
}
