import { spawn } from 'node:child_process';
import { Worker } from 'bullmq';
import postgres from 'postgres';
import { rawRedis } from './rawRedis.ts';

/**
 * A raw BullMQ worker process for the baselines (forked by the load and cost benches): each job spawns the no-op
 * agent and waits for it, as a Mission worker would, with none of Mission's bookkeeping. Given RAW_DATABASE_URL (the
 * cost bench's floor, lib/floorApi.ts), it also marks the job's task row `running` before the agent starts and
 * `succeeded` with the agent's output once it has ended: a task's record, and nothing else of Mission's.
 * On 'stop' it closes and sends back the queue wait (processedOn − timestamp) of every job it took.
 */
const { RAW_QUEUE, RAW_PREFIX, RAW_REDIS_URL, RAW_CONCURRENCY, RAW_AGENT, RAW_DATABASE_URL } = process.env;
const waits: number[] = [];
const sql = RAW_DATABASE_URL ? postgres(RAW_DATABASE_URL, { max: 10 }) : undefined;

/** Runs the agent on `prompt`; answers what it printed when `keep` says so (else its output is read and dropped). */
const runAgent = (prompt: string, keep: boolean) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(RAW_AGENT!, [], { stdio: ['pipe', 'pipe', 'ignore'] });
    let output = '';
    if (keep) child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    else child.stdout.resume();
    child.stdin.end(prompt);
    child.once('error', reject);
    child.once('close', () => resolve(output));
  });

const worker = new Worker<{ id?: string; prompt: string }>(
  RAW_QUEUE!,
  async (job) => {
    waits.push((job.processedOn ?? Date.now()) - job.timestamp);
    const { id, prompt } = job.data;
    if (!sql || !id) {
      await runAgent(prompt, false);
      return;
    }
    await sql`update floor_tasks set status = 'running', started_at = now() where id = ${id}`;
    const output = await runAgent(prompt, true);
    await sql`update floor_tasks set status = 'succeeded', result = ${output}, ended_at = now() where id = ${id}`;
    return { status: 'succeeded' };
  },
  { connection: rawRedis(RAW_REDIS_URL!, 'bench-raw-worker'), prefix: RAW_PREFIX!, concurrency: Number(RAW_CONCURRENCY) },
);
await worker.waitUntilReady();
process.send!({ ready: true });
process.on('message', async (message: { stop?: boolean }) => {
  if (!message.stop) return;
  await worker.close();
  await sql?.end();
  process.send!({ waits }, () => process.exit(0));
});
process.once('disconnect', () => process.exit(0)); // the bench is gone: nothing will ask for the waits
