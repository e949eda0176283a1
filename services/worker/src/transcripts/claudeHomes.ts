import os from 'node:os';
import { type Database, tables } from '@mission/shared';

/**
 * The HOMEs the claude processes of this worker write their records under: the worker's own (what its
 * children inherit) and every slot's `env.HOME`.
 */
export async function claudeHomes(db: Database, baseEnv: Record<string, string>): Promise<string[]> {
  const slots = await db.select({ env: tables.slots.env }).from(tables.slots);
  const slotHomes = slots.map((slot) => slot.env.HOME).filter((home): home is string => Boolean(home));
  return [baseEnv.HOME ?? os.homedir(), ...slotHomes];
}
