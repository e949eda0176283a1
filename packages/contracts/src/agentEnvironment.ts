/**
 * What of the worker's own environment a `claude` process inherits: an allow-list, so nothing the
 * worker holds (DATABASE_URL, REDIS_URL, MISSION_APPROVAL_SECRET, cloud credentials, …) reaches an
 * agent unless an operator puts it in a slot's `env`. The CLI needs its Anthropic settings and its own
 * switches; the shell it runs needs a PATH, a locale and proxy settings.
 */
const INHERITED_NAMES = new Set([
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'COLORTERM',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
]);
const INHERITED_PREFIXES = ['LC_', 'ANTHROPIC_', 'CLAUDE_CODE_', 'DISABLE_'];

/** Whether a variable of the worker's environment is handed down to the agents it starts. */
export function isInheritedByAgents(name: string): boolean {
  if (name.startsWith('MISSION_')) return false;
  return INHERITED_NAMES.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The part of an environment agents inherit (see {@link isInheritedByAgents}). */
export function inheritedAgentEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && isInheritedByAgents(entry[0])),
  );
}
