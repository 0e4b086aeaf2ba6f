import type { IExecuteFunctions } from 'n8n-workflow';

import { OpenCtiClient } from '../../../../lib/opencti';

/**
 * One OpenCTI client per execution, from the `emailIntelOpenCtiApi` credential. The HTTP stays in lib/
 * (graphql-request for JSON, a GraphQL-multipart body for files, both over Node's fetch):
 * n8n's httpRequestWithAuthentication cannot carry graphql-request nor a streamed multipart
 * upload the same way on n8n 1.x and 2.x, and lib/ must stay free of n8n. The credential's
 * `authenticate` block (Bearer) is what n8n's credential test uses; the client sends the
 * same header.
 */
export async function openCtiClient(this: IExecuteFunctions): Promise<OpenCtiClient> {
	const credentials = await this.getCredentials<{ url: string; token: string }>(
		'emailIntelOpenCtiApi',
	);
	return new OpenCtiClient({ url: credentials.url, token: credentials.token });
}
