import type { Config } from '@mission/store';

/** The names a local server is always reached by. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** HOST values that mean "every interface", not a name anyone reaches the server by. */
const WILDCARD_BINDS = ['0.0.0.0', '::', '[::]'];

/** Who may call `/mcp`: by the name in the Host header (any port) and by the Origin of a web page. */
export interface RebindingPolicy {
  /** The names `/mcp` is reached by (lower case, IPv6 in brackets); pages served from them may call it too. */
  hosts: Set<string>;
  /** MISSION_MCP_ALLOWED_HOSTS has `*`: any Host header (a proxy in front checks it). */
  anyHost: boolean;
  /** More origins (scheme://host:port) whose pages may call it. */
  origins: Set<string>;
  /** MISSION_MCP_ALLOWED_ORIGINS has `*`: pages from anywhere. */
  anyOrigin: boolean;
}

/** The host name in a Host header or URL authority (`example.com:7070` → `example.com`, `[::1]:80` → `[::1]`); undefined when it is none. */
const hostname = (authority: string): string | undefined =>
  URL.canParse(`http://${authority}`) ? new URL(`http://${authority}`).hostname : undefined;

/** HOST as a URL authority: an IPv6 address gets its brackets. */
const bindAuthority = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * The policy from the config: the local names, the API's HOST when it names one interface (not
 * 0.0.0.0), the hosts of MISSION_PUBLIC_URL and MISSION_API_URL, and MISSION_MCP_ALLOWED_HOSTS; web
 * pages served from those hosts, and the origins in MISSION_MCP_ALLOWED_ORIGINS.
 */
export function rebindingPolicy(
  config: Pick<Config, 'host' | 'publicUrl' | 'apiUrl' | 'mcpAllowedHosts' | 'mcpAllowedOrigins'>,
): RebindingPolicy {
  const named = [
    ...LOCAL_HOSTS,
    WILDCARD_BINDS.includes(config.host) ? undefined : hostname(bindAuthority(config.host)),
    config.publicUrl ? new URL(config.publicUrl).hostname : undefined,
    new URL(config.apiUrl).hostname,
    ...config.mcpAllowedHosts.filter((host) => host !== '*').map(hostname),
  ];
  return {
    hosts: new Set(named.filter((host): host is string => host !== undefined)),
    anyHost: config.mcpAllowedHosts.includes('*'),
    origins: new Set(config.mcpAllowedOrigins.filter((origin) => origin !== '*').map((origin) => new URL(origin).origin)),
    anyOrigin: config.mcpAllowedOrigins.includes('*'),
  };
}

/**
 * Why a request must be refused, or undefined to let it through. A web page on a rebound name
 * (evil.example.com resolving to 127.0.0.1) sends that name as Host and its own origin as Origin:
 * either gives it away. Clients that are not browsers send no Origin.
 */
export function rebindingRefusal(policy: RebindingPolicy, headers: { host?: string; origin?: string }): string | undefined {
  const host = headers.host === undefined ? undefined : hostname(headers.host);
  if (!policy.anyHost && (host === undefined || !policy.hosts.has(host))) {
    return `Mission's MCP endpoint is not served under the name '${headers.host ?? ''}' (a DNS rebinding guard): reach it as localhost, or add the name to MISSION_MCP_ALLOWED_HOSTS`;
  }
  if (headers.origin === undefined || policy.anyOrigin) return undefined;
  const origin = URL.canParse(headers.origin) ? new URL(headers.origin) : undefined;
  const allowed =
    origin !== undefined && origin.origin !== 'null' && (policy.origins.has(origin.origin) || policy.hosts.has(origin.hostname));
  return allowed
    ? undefined
    : `web pages from ${headers.origin} may not call Mission's MCP endpoint (a DNS rebinding guard): add the origin to MISSION_MCP_ALLOWED_ORIGINS to allow it`;
}
