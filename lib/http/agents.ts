import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';

/**
 * Where a request's socket comes from: a keep-alive pool per (proxy, TLS trust), and the TLS
 * options that go with every request. Proxies are chosen as n8n's own HTTP helpers choose them
 * (proxy-from-env: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, NO_PROXY). Whether a proxy variable is
 * set at all is read when a transport is built (each node run, each trigger activation), so a
 * changed environment applies without a restart; with one set, the proxy and NO_PROXY are read
 * at each request.
 */
export interface TlsTrust {
	/** Extra trusted CA certificate(s), PEM, in addition to Node's roots (and NODE_EXTRA_CA_CERTS). */
	ca?: string;
	/**
	 * Accept any server certificate. Only for a lab; the name says what it does. Off unless a
	 * caller turns it on explicitly.
	 */
	dangerouslySkipTlsVerification?: boolean;
}

type TlsRequestOptions = https.RequestOptions & { secureContext?: tls.SecureContext };

export interface Route {
	agent: http.Agent;
	/** TLS options for this request (the proxy agent passes them on to the tunnelled TLS). */
	tlsOptions: TlsRequestOptions;
	/** The proxy URL used, without credentials (for error messages), or undefined when direct. */
	proxy?: string;
	/**
	 * Plain-http targets go to the proxy as a forward request (absolute URI), as n8n's
	 * http-proxy-agent does: many proxies allow CONNECT to port 443 only.
	 */
	forward?: { url: URL; authorization?: string };
}

/**
 * Building a TLS context with a custom CA loads the whole root store again (tens of ms of CPU);
 * done per connection it would stall the event loop that answers Graph's notifications. One
 * context per extra CA, trusted in addition to Node's bundled roots.
 */
const secureContexts = new Map<string, tls.SecureContext>();

function secureContextFor(ca: string): tls.SecureContext {
	let context = secureContexts.get(ca);
	if (!context)
		secureContexts.set(
			ca,
			(context = tls.createSecureContext({ ca: [...tls.rootCertificates, ca] })),
		);
	return context;
}

function tlsOptionsFor(trust: TlsTrust): TlsRequestOptions {
	if (trust.dangerouslySkipTlsVerification) return { rejectUnauthorized: false };
	return trust.ca ? { secureContext: secureContextFor(trust.ca), rejectUnauthorized: true } : {};
}

/** Process-wide pools: idle keep-alive sockets are unref'd by Node, they never hold n8n open. */
const agents = new Map<string, http.Agent>();

function pooled(key: string, create: () => http.Agent): http.Agent {
	let agent = agents.get(key);
	if (!agent) agents.set(key, (agent = create()));
	return agent;
}

export interface AgentOptions {
	keepAlive: boolean;
	maxSockets: number;
}

/**
 * The variables proxy-from-env takes a proxy from for a scheme, each read in lower and upper case
 * (`npm_config_https_proxy`, `https_proxy`, `npm_config_proxy`, `all_proxy`). When none is set it
 * answers "direct" whatever NO_PROXY says, so the common case skips its legacy URL parse (~9 µs a
 * request, 2% of a small upload's CPU).
 */
const PROXY_VARIABLES: Record<string, readonly string[]> = Object.fromEntries(
	['http', 'https'].map((scheme) => [
		`${scheme}:`,
		[`npm_config_${scheme}_proxy`, `${scheme}_proxy`, 'npm_config_proxy', 'all_proxy'].flatMap(
			(name) => [name, name.toUpperCase()],
		),
	]),
);

function proxyVariableSet(protocol: string): boolean {
	const names = PROXY_VARIABLES[protocol];
	return names === undefined || names.some((name) => Boolean(process.env[name]));
}

/**
 * For each scheme, whether any of its proxy variables was set when this was read. Read once per
 * transport: the eight lookups in the environment (each a call into C++ and getenv) were the
 * largest single cost of a small scan upload beyond a bare client (docs/performance.md, round 18).
 */
export type ProxySchemes = Readonly<Record<string, boolean>>;

export function proxySchemes(): ProxySchemes {
	return { 'http:': proxyVariableSet('http:'), 'https:': proxyVariableSet('https:') };
}

/** The route of one request; `proxies` as the transport read them (a scheme not in it: looked up). */
export function routeFor(
	url: URL,
	trust: TlsTrust,
	options: AgentOptions,
	proxies: ProxySchemes,
): Route {
	if (!(proxies[url.protocol] ?? proxyVariableSet(url.protocol)))
		return directRoute(url, trust, options);
	return proxiedRoute(url, trust, options);
}

/** Through the proxy the environment names for this URL now, or direct where NO_PROXY says so. */
function proxiedRoute(url: URL, trust: TlsTrust, options: AgentOptions): Route {
	const proxyUrl = proxyVariableSet(url.protocol) ? getProxyForUrl(url.href) : '';
	if (!proxyUrl) return unproxied(url, trust, options);
	const proxy = new URL(proxyUrl);
	if (url.protocol !== 'https:') {
		const authorization =
			proxy.username || proxy.password
				? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
				: undefined;
		const viaTls = proxy.protocol === 'https:';
		const agent = pooled(`forward|${viaTls}|${poolKey(trust, options)}`, () =>
			keepAliveAgent(viaTls, options),
		);
		proxy.username = '';
		proxy.password = '';
		return {
			agent,
			tlsOptions: {},
			proxy: proxy.origin,
			forward: { url: proxy, ...(authorization ? { authorization } : {}) },
		};
	}
	const agent = pooled(
		`proxy|${proxy.href}|${poolKey(trust, options)}`,
		() =>
			new HttpsProxyAgent(proxy, {
				keepAlive: options.keepAlive,
				maxSockets: options.maxSockets,
			}) as unknown as http.Agent,
	);
	proxy.username = '';
	proxy.password = '';
	return { agent, tlsOptions: tlsOptionsFor(trust), proxy: proxy.origin };
}

/** Straight to the target: its scheme's pool for this trust. */
function unproxied(url: URL, trust: TlsTrust, options: AgentOptions): Route {
	const secure = url.protocol === 'https:';
	const agent = pooled(`${secure ? 'https' : 'http'}|${poolKey(trust, options)}`, () =>
		keepAliveAgent(secure, options),
	);
	return { agent, tlsOptions: secure ? tlsOptionsFor(trust) : {} };
}

/** What tells pools apart besides the route: the agent options and the TLS trust. */
function poolKey(trust: TlsTrust, options: AgentOptions): string {
	const trustKey = trust.dangerouslySkipTlsVerification ? 'insecure' : (trust.ca ?? '');
	return `${options.keepAlive}|${options.maxSockets}|${trustKey}`;
}

function keepAliveAgent(tls: boolean, options: AgentOptions): http.Agent {
	const settings = { keepAlive: options.keepAlive, maxSockets: options.maxSockets };
	return tls ? new https.Agent(settings) : new http.Agent(settings);
}

/**
 * The direct route (no proxy) of each (trust, agent options) pair, per scheme, so a request
 * without a proxy builds no pool key and no TLS options: a scan upload is one request per file,
 * and that string and those objects showed in its profile. Keyed by the objects themselves (a
 * transport's own, never changed after it is built) and weakly, so a transport let go takes its
 * entries with it.
 */
const directRoutes = new WeakMap<TlsTrust, WeakMap<AgentOptions, Record<string, Route>>>();

function directRoute(url: URL, trust: TlsTrust, options: AgentOptions): Route {
	let byOptions = directRoutes.get(trust);
	if (!byOptions) directRoutes.set(trust, (byOptions = new WeakMap()));
	let byScheme = byOptions.get(options);
	if (!byScheme) byOptions.set(options, (byScheme = {}));
	return (byScheme[url.protocol] ??= unproxied(url, trust, options));
}
