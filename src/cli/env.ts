import { z } from 'zod';

/**
 * What the `mission` client commands read from the environment, parsed once: the API they talk to and
 * the token they send (as `mission-mcp` does), and NO_COLOR (https://no-color.org).
 */
const clientEnvSchema = z.object({
  MISSION_URL: z.url('MISSION_URL must be a URL such as http://127.0.0.1:7070').default('http://127.0.0.1:7070'),
  MISSION_TOKEN: z.string().trim().optional(),
  NO_COLOR: z.string().optional(),
});

export interface ClientEnv {
  /** Base URL of the API, without a trailing slash. */
  url: string;
  token: string | undefined;
  /** NO_COLOR is set to something: never color. */
  noColor: boolean;
}

export function loadClientEnv(env: NodeJS.ProcessEnv): ClientEnv {
  const parsed = clientEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join('; '));
  return { url: parsed.data.MISSION_URL.replace(/\/+$/, ''), token: parsed.data.MISSION_TOKEN || undefined, noColor: Boolean(parsed.data.NO_COLOR) };
}
