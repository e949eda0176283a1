/**
 * A worker's last write of a run, on its own, so a test can kill it with SIGKILL between the insert and the publish:
 * completes the task TASK_ID held by WORKER_ID in attempt ATTEMPTS with BURST output events not written yet (the
 * batch the worker hands to `complete`), publishing on PUBLISH_REDIS_URL. Env also: DATABASE_URL, MISSION_QUEUE_PREFIX.
 */
import { createRedis, EventLog, openDatabase, TaskStore } from '@mission/store';

const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.' });
const publisher = createRedis(process.env.PUBLISH_REDIS_URL!, 'event-burst');
const events = new EventLog(database.db, publisher, process.env.MISSION_QUEUE_PREFIX!);
const store = new TaskStore({ db: database.db, events });
const burst = Array.from({ length: Number(process.env.BURST) }, (_, i) => ({
  type: 'assistant_message' as const,
  payload: { text: `line ${i}` },
}));
const lease = { id: process.env.TASK_ID!, workerId: process.env.WORKER_ID!, attempts: Number(process.env.ATTEMPTS) };
await store.complete(lease, { status: 'succeeded', error: null, output: burst });
process.stdout.write('published\n');
