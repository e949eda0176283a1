import { z } from 'zod';
import { runStdioBridge } from './bridge.ts';

/** `mission-mcp`: configured by MISSION_URL (the API it talks to) and MISSION_TOKEN (its API token). */
const env = z
  .object({
    MISSION_URL: z.url('MISSION_URL must be a URL such as http://127.0.0.1:7070').default('http://127.0.0.1:7070'),
    MISSION_TOKEN: z.string().trim().optional(),
  })
  .safeParse(process.env);
if (!env.success) {
  process.stderr.write(`mission-mcp: ${env.error.issues.map((issue) => issue.message).join('; ')}\n`);
  process.exit(2);
}
await runStdioBridge(env.data.MISSION_URL, env.data.MISSION_TOKEN || undefined);
// The client has gone: exit now rather than when the last keep-alive socket or timer lets go.
process.exit(0);
