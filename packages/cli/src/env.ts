import { DEFAULT_DETACH_KEYS } from './detachKeys.ts';

/**
 * What the `mission` client commands read from the environment, parsed once: the API they talk to (MISSION_URL, else
 * 127.0.0.1 at PORT, else at 7070) and the token they send (as `mission-mcp` does), the keys that detach `attach`,
 * and NO_COLOR (https://no-color.org).
 */
export interface ClientEnv {
  /** Base URL of the API, without a trailing slash. */
  url: string;
  token: string | undefined;
  /** NO_COLOR is set to something: never color. */
  noColor: boolean;
  /** The keys that detach `mission attach`, as --detach-keys takes them. */
  detachKeys: string;
}

/**
 * Parsed by hand, not with a schema library: every command reads it, and loading zod would double the time a command
 * takes to start (packages/cli/build.mjs keeps it out of the bundle).
 */
export function loadClientEnv(env: NodeJS.ProcessEnv): ClientEnv {
  const detachKeys = (env.MISSION_DETACH_KEYS ?? DEFAULT_DETACH_KEYS).trim();
  if (detachKeys === '') throw new Error('MISSION_DETACH_KEYS must not be blank (unset it for the default)');
  return {
    url: (env.MISSION_URL === undefined ? `http://127.0.0.1:${listenPort(env.PORT) ?? 7070}` : missionUrl(env.MISSION_URL)).replace(
      /\/+$/,
      '',
    ),
    token: env.MISSION_TOKEN?.trim() || undefined,
    noColor: Boolean(env.NO_COLOR),
    detachKeys,
  };
}

function missionUrl(value: string): string {
  const protocol = URL.parse(value)?.protocol;
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new Error(`MISSION_URL must be an http or https URL such as http://127.0.0.1:7070, not '${value}'`);
  return value;
}

/** Where `mission up` listens: the default port when MISSION_URL is unset, so the same shell reaches it (0, "any", is not). */
function listenPort(value: string | undefined): string | undefined {
  return value !== undefined && /^[1-9]\d{0,4}$/.test(value) ? value : undefined;
}
