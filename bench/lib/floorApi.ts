import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents } from 'bullmq';
import postgres from 'postgres';
import { rawRedis } from './rawRedis.ts';

/**
 * The API of the cost bench's floor (forked by cost.bench.ts): the least a service in Mission's shape does for a task,
 * with none of Mission's own work. `POST /v1/ask` with a bearer token and `{"prompt": …}` stores the task's row in
 * Postgres (`queued`), adds its job and answers once the job has finished (the raw worker, given FLOOR_DATABASE_URL,
 * marks the row `running` and then ended). No framework, no validation beyond the prompt's type, no rate limit, no
 * event log, no retry bookkeeping. Sends `{ port }` once listening; exits when the bench disconnects.
 */
const { FLOOR_QUEUE, FLOOR_PREFIX, FLOOR_REDIS_URL, FLOOR_DATABASE_URL, FLOOR_TOKEN } = process.env;

const FLOOR_TABLE = `create table if not exists floor_tasks (
  id uuid primary key, prompt text not null, status text not null, result text,
  created_at timestamptz not null default now(), started_at timestamptz, ended_at timestamptz)`;

const sql = postgres(FLOOR_DATABASE_URL!, { max: 10 });
await sql.unsafe(FLOOR_TABLE);
const connection = rawRedis(FLOOR_REDIS_URL!, 'bench-floor-api');
const queue = new Queue(FLOOR_QUEUE!, { connection, prefix: FLOOR_PREFIX!, defaultJobOptions: { removeOnComplete: { count: 1_000 } } });
const events = new QueueEvents(FLOOR_QUEUE!, { connection: rawRedis(FLOOR_REDIS_URL!, 'bench-floor-events'), prefix: FLOOR_PREFIX! });
queue.setMaxListeners(200); // each waitUntilFinished listens for the queue closing
await events.waitUntilReady();

const answer = (res: http.ServerResponse, status: number, body: unknown) => {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
};

async function ask(body: string): Promise<{ status: number; body: unknown }> {
  const prompt = (JSON.parse(body) as { prompt?: unknown }).prompt;
  if (typeof prompt !== 'string') return { status: 400, body: { error: 'prompt must be a string' } };
  const id = randomUUID();
  await sql`insert into floor_tasks (id, prompt, status) values (${id}, ${prompt}, 'queued')`;
  const job = await queue.add('task', { id, prompt }, { jobId: id });
  const ended = (await job.waitUntilFinished(events)) as { status: string };
  return { status: 200, body: { task: { id, status: ended.status } } };
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/ask') return answer(res, 404, { error: 'not found' });
  if (req.headers.authorization !== `Bearer ${FLOOR_TOKEN}`) return answer(res, 401, { error: 'unauthorized' });
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    ask(body).then(
      (result) => answer(res, result.status, result.body),
      (error: unknown) => answer(res, 500, { error: String(error) }),
    );
  });
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.once('disconnect', () => {
  server.close();
  void Promise.all([queue.close(), events.close(), sql.end()]).then(() => process.exit(0));
});
