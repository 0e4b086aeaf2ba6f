import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DEFAULT_RETRY_BUDGET } from '../../lib/ingest/core';
import type { AttachmentPolicy } from '../../lib/mail/policy';
import { GMAIL_API_BASE_URL, labelList, type GmailConfig } from '../../lib/providers/gmail';
import { policyFromParameters, type AttachmentOptionValues } from '../shared/attachment-options';
import { startDateFrom } from '../shared/start-date';

export const SIGN_IN_WITH_GOOGLE = 'emailIntelGmailOAuth2Api';
export const TOKEN_JSON_OR_SERVICE_ACCOUNT = 'emailIntelGoogleApi';

export interface GmailOptionValues extends AttachmentOptionValues {
	relativeImportStartDate?: string;
	query?: string;
	includeRaw?: boolean;
	maxItemsPerPoll?: number;
	maxItemsPerExecution?: number;
	retryBudget?: number;
	concurrency?: number;
}

export interface GmailTriggerParameters {
	labels: string[];
	since: Date;
	query?: string;
	policy: AttachmentPolicy;
	keepRaw: boolean;
	maxItems: number;
	batchSize: number;
	retryBudget: number;
	concurrency: number;
}

/** Reads and checks the node's parameters; a bad value is a MailIntelError naming the parameter. */
export function gmailParameters(
	labels: string,
	options: GmailOptionValues,
): GmailTriggerParameters {
	return {
		labels: labelList(labels),
		since: startDateFrom(options.relativeImportStartDate),
		...(options.query?.trim() ? { query: options.query.trim() } : {}),
		policy: policyFromParameters(options),
		keepRaw: options.includeRaw ?? false,
		maxItems: whole(options.maxItemsPerPoll ?? 1000),
		batchSize: whole(options.maxItemsPerExecution ?? 100),
		retryBudget: whole(options.retryBudget ?? DEFAULT_RETRY_BUDGET),
		concurrency: Math.min(10, whole(options.concurrency ?? 10)),
	};
}

function whole(value: number): number {
	return Math.max(1, Math.floor(value));
}

/** One of the two credentials as the provider's config (lib/providers/gmail/config.ts). */
export function gmailConfigFrom(
	authentication: string,
	credentials: ICredentialDataDecryptedObject,
): GmailConfig {
	const apiBaseUrl = String(credentials.apiBaseUrl ?? '').trim() || GMAIL_API_BASE_URL;
	const tokenUrl = String(credentials.tokenUrl ?? credentials.accessTokenUrl ?? '').trim();
	if (authentication === 'oAuth2') {
		const data = (credentials.oauthTokenData ?? {}) as {
			access_token?: string;
			refresh_token?: string;
		};
		return {
			apiBaseUrl,
			auth: {
				method: 'oAuth2',
				clientId: String(credentials.clientId ?? ''),
				clientSecret: String(credentials.clientSecret ?? ''),
				...(data.access_token ? { accessToken: data.access_token } : {}),
				...(data.refresh_token ? { refreshToken: data.refresh_token } : {}),
				...(tokenUrl ? { tokenUrl } : {}),
			},
		};
	}
	if (String(credentials.authMethod ?? 'tokenJson') === 'serviceAccount')
		return {
			apiBaseUrl,
			auth: {
				method: 'serviceAccount',
				serviceAccountKey: String(credentials.serviceAccountKey ?? ''),
				delegatedUser: String(credentials.delegatedUser ?? ''),
				...(tokenUrl ? { tokenUrl } : {}),
			},
		};
	return {
		apiBaseUrl,
		auth: {
			method: 'tokenJson',
			googleTokenJson: String(credentials.googleTokenJson ?? ''),
			...(tokenUrl ? { tokenUrl } : {}),
		},
	};
}
