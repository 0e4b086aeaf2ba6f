import { randomBytes } from 'node:crypto';

import type { GraphClient } from './client';

/**
 * Graph change-notification subscriptions for new messages in one folder.
 * Facts (README "Microsoft 365 Mail Trigger", Limits): message subscriptions live at most 10,080 minutes; renew when less
 * than 24 h are left; `clientState` is at most 128 characters and comes back on every
 * notification; creation fails unless the notification URL answers the validation POST.
 */
export const MAX_MESSAGE_SUBSCRIPTION_MINUTES = 10_080;
/** Asked-for lifetime stays under the maximum so clock skew never gets the request refused. */
export const EXPIRY_MARGIN_MINUTES = 60;
export const RENEW_WHEN_LEFT_MS = 24 * 60 * 60 * 1000;

export interface GraphSubscription {
	id: string;
	resource: string;
	expirationDateTime: string;
	clientState?: string;
	notificationUrl?: string;
	lifecycleNotificationUrl?: string;
}

export function newClientState(): string {
	// 48 random bytes -> 64 base64url chars: well inside Graph's 128-character limit.
	return randomBytes(48).toString('base64url');
}

export function subscriptionExpiry(now = Date.now()): string {
	return new Date(
		now + (MAX_MESSAGE_SUBSCRIPTION_MINUTES - EXPIRY_MARGIN_MINUTES) * 60_000,
	).toISOString();
}

export function needsRenewal(expirationDateTime: string, now = Date.now()): boolean {
	return Date.parse(expirationDateTime) - now < RENEW_WHEN_LEFT_MS;
}

/**
 * The subscription `resource` in the form Graph documents for a folder's messages
 * (learn.microsoft.com/graph/outlook-change-notifications-overview, "Supported resource paths"):
 * `users/{id or userPrincipalName}/mailFolders('{id}')/messages`. It is an OData resource path
 * carried in a JSON string, not a URL: the UPN goes as it is (`soc@contoso.com`, never
 * `soc%40contoso.com`), and the folder (an id or a well-known name) is an OData string literal,
 * in which a `'` is written twice.
 */
export function messagesResource(upn: string, folder: string): string {
	return `users/${upn}/mailFolders('${folder.replace(/'/g, "''")}')/messages`;
}

export async function createSubscription(
	client: GraphClient,
	options: {
		upn: string;
		folder: string;
		notificationUrl: string;
		lifecycleNotificationUrl: string;
		clientState: string;
		now?: number;
	},
): Promise<GraphSubscription> {
	// Not idempotent (a repeat creates a second subscription): GraphClient never retries it once sent.
	const { data } = await client.json<GraphSubscription>({
		method: 'POST',
		url: '/subscriptions',
		mailbox: options.upn,
		body: {
			changeType: 'created',
			notificationUrl: options.notificationUrl,
			lifecycleNotificationUrl: options.lifecycleNotificationUrl,
			resource: messagesResource(options.upn, options.folder),
			expirationDateTime: subscriptionExpiry(options.now),
			clientState: options.clientState,
			latestSupportedTlsVersion: 'v1_2',
		},
	});
	return data;
}

export async function renewSubscription(
	client: GraphClient,
	id: string,
	mailbox: string,
	now?: number,
): Promise<GraphSubscription> {
	const { data } = await client.json<GraphSubscription>({
		method: 'PATCH',
		url: `/subscriptions/${encodeURIComponent(id)}`,
		mailbox,
		body: { expirationDateTime: subscriptionExpiry(now) },
		// Setting the same expiry twice has the effect of setting it once: safe to retry.
		idempotent: true,
	});
	return data;
}

/** Returns the subscription, or undefined when Graph no longer has it (404). */
export async function getSubscription(
	client: GraphClient,
	id: string,
	mailbox: string,
): Promise<GraphSubscription | undefined> {
	const { status, data } = await client.json<GraphSubscription>({
		method: 'GET',
		url: `/subscriptions/${encodeURIComponent(id)}`,
		mailbox,
		accept: [404],
	});
	return status === 404 ? undefined : data;
}

/** Deletes; a subscription that is already gone (404) counts as deleted. */
export async function deleteSubscription(
	client: GraphClient,
	id: string,
	mailbox: string,
): Promise<void> {
	await client.json({
		method: 'DELETE',
		url: `/subscriptions/${encodeURIComponent(id)}`,
		mailbox,
		accept: [404],
	});
}
