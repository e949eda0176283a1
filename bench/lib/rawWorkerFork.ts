import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkScript } from './forkScript.ts';

const rawWorkerScript = fileURLToPath(new URL('./rawWorker.ts', import.meta.url));

/** What a raw worker process (lib/rawWorker.ts) serves, and how. */
export interface RawWorkerOptions {
  queue: string;
  prefix: string;
  redisUrl: string;
  concurrency: number;
  /** The agent command each job spawns. */
  agent: string;
  /** The floor's scratch database: the worker marks each task's row there as it runs it (the cost bench's floor). */
  databaseUrl?: string;
}

/** Forks a raw BullMQ worker process (lib/rawWorker.ts); it sends `{ ready }` once it takes jobs (`readyMessage`). */
export function forkRawWorker(options: RawWorkerOptions): ChildProcess {
  return forkScript(rawWorkerScript, {
    RAW_QUEUE: options.queue,
    RAW_PREFIX: options.prefix,
    RAW_REDIS_URL: options.redisUrl,
    RAW_CONCURRENCY: String(options.concurrency),
    RAW_AGENT: options.agent,
    ...(options.databaseUrl ? { RAW_DATABASE_URL: options.databaseUrl } : {}),
  });
}
