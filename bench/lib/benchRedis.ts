import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRedis } from '@mission/store';
import { startPrivateRedis } from '../../packages/cli/src/privateRedis.ts';

/**
 * A Redis server of the benchmark's own (not the shared one), so its CPU time and command counts
 * belong to the run being measured and to nothing else on the machine.
 */
export interface BenchRedis {
  url: string;
  pid: number;
  /** Commands executed since the last `resetStats()` (INFO commandstats, summed). */
  commands(): Promise<number>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-redis-'));
  const server = await startPrivateRedis(dataDir);
  const admin = createRedis(server.url, 'bench-redis-admin');
  return {
    url: server.url,
    pid: server.pid,
    async commands() {
      const info = await admin.info('commandstats');
      // Lines like "cmdstat_get:calls=12,usec=…"; the INFO call itself is counted once and left in.
      return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, [, calls]) => sum + Number(calls), 0);
    },
    async resetStats() {
      await admin.config('RESETSTAT');
    },
    async stop() {
      admin.disconnect();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
