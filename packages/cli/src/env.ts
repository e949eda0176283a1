import { z } from 'zod';
import { DEFAULT_DETACH_KEYS } from './detachKeys.ts';

/**
 * What the `mission` client commands read from the environment, parsed once: the API they talk to (MISSION_URL, else
 * 127.0.0.1 at PORT, else at 7070) and the token they send (as `mission-mcp` does), the keys that detach `attach`,
 * and NO_COLOR (https://no-color.org).
 */
const clientEnvSchema = z.object({
  MISSION_URL: z.url('MISSION_URL must be a URL such as http://127.0.0.1:7070').optional(),
  /** Where `mission up` listens: the default port when MISSION_URL is unset, so the same shell reaches it (0, "any", is not). */
  PORT: z
    .string()
    .regex(/^[1-9]\d{0,4}$/)
    .optional()
    .catch(undefined),
  MISSION_TOKEN: z.string().trim().optional(),
  MISSION_DETACH_KEYS: z.string().trim().min(1).default(DEFAULT_DETACH_KEYS),
  NO_COLOR: z.string().optional(),
});

export interface ClientEnv {
  /** Base URL of the API, without a trailing slash. */
  url: string;
  token: string | undefined;
  /** NO_COLOR is set to something: never color. */
  noColor: boolean;
  /** The keys that detach `mission attach`, as --detach-keys takes them. */
  detachKeys: string;
}

export function loadClientEnv(env: NodeJS.ProcessEnv): ClientEnv {
  const parsed = clientEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  const url = parsed.data.MISSION_URL ?? `http://127.0.0.1:${parsed.data.PORT ?? 7070}`;
  return {
    url: url.replace(/\/+$/, ''),
    token: parsed.data.MISSION_TOKEN || undefined,
    noColor: Boolean(parsed.data.NO_COLOR),
    detachKeys: parsed.data.MISSION_DETACH_KEYS,
  };
}
