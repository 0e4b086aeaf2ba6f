import { validateGraphConfig, type GraphAppConfig } from '../../../lib/providers/graph/config';
import type { FakeGraph } from './server';

/** What a lib-level test needs to reach the fake (also the shape the bench's fake thread reports). */
export type FakeGraphEndpoint = Pick<
	FakeGraph,
	'tenantId' | 'clientId' | 'clientSecret' | 'authorityHost' | 'url' | 'caPem'
>;

/** The core's Graph app config pointing at a fake, with its client secret and CA trusted. */
export function fakeGraphConfig(fake: FakeGraphEndpoint): GraphAppConfig {
	return validateGraphConfig({
		tenantId: fake.tenantId,
		clientId: fake.clientId,
		clientSecret: fake.clientSecret,
		authorityHost: fake.authorityHost,
		graphBaseUrl: fake.url,
		ca: fake.caPem,
	});
}
