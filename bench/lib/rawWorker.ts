import { spawn } from 'node:child_process';
import { rawRedis } from './rawRedis.ts';
import { Worker } from 'bullmq';

/**
 * A raw BullMQ worker process for the load baseline (forked by load.bench.ts): each job spawns the
 * no-op agent and waits for it, as a Mission worker would, with none of Mission's bookkeeping.
 * On 'stop' it closes and sends back the queue wait (processedOn − timestamp) of every job it took.
 */
const { RAW_QUEUE, RAW_PREFIX, RAW_REDIS_URL, RAW_CONCURRENCY, RAW_AGENT } = process.env;
const waits: number[] = [];

const runAgent = () =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(RAW_AGENT!, [], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdout.resume();
    child.stdin.end('prompt');
    child.once('error', reject);
    child.once('close', () => resolve());
  });

const worker = new Worker(
  RAW_QUEUE!,
  async (job) => {
    waits.push((job.processedOn ?? Date.now()) - job.timestamp);
    await runAgent();
  },
  { connection: rawRedis(RAW_REDIS_URL!, 'bench-raw-worker'), prefix: RAW_PREFIX!, concurrency: Number(RAW_CONCURRENCY) },
);
await worker.waitUntilReady();
process.send!({ ready: true });
process.on('message', async (message: { stop?: boolean }) => {
  if (!message.stop) return;
  await worker.close();
  process.send!({ waits }, () => process.exit(0));
});
process.once('disconnect', () => process.exit(0)); // the bench is gone: nothing will ask for the waits
