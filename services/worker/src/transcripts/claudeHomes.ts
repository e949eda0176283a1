import { type Database, slotEnvs } from '@mission/store';

/**
 * The HOMEs the claude processes of this worker write their records under: the agents' default ones (one
 * per agent user) and every slot's `env.HOME`.
 */
export async function claudeHomes(db: Database, defaultHomes: readonly string[]): Promise<string[]> {
  const slotHomes = (await slotEnvs(db)).map((env) => env.HOME).filter((home): home is string => Boolean(home));
  return [...new Set([...defaultHomes, ...slotHomes])];
}
