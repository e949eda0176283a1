import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis, TaskStore, taskRow } from '@mission/store';
import type { MissionEvent } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../packages/cli/src/privateRedis.ts';
import { recordChild } from './support/childProcesses.ts';
import { readSse } from './support/sse.ts';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BURST = 50;

describe('a batched burst of events and a kill -9 between insert and publish', () => {
  let system: TestSystem;
  let redis: PrivateRedis;
  let redisDir: string;
  beforeAll(async () => {
    // No worker: the test claims the task and a process of its own writes its end.
    system = await startTestSystem({ inProcessWorker: false });
    redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-redis-'));
    redis = await startPrivateRedis(redisDir);
  });
  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(redisDir, { recursive: true, force: true });
    await system?.close();
  });

  it('keeps the burst in order and stores all of it with the state event, though nothing was published', async () => {
    const res = await system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'burst' }),
    });
    const { id } = (await res.json()) as { id: string };
    const { db } = system.core.database;
    const unpublished: unknown[] = [];
    const claim = await new TaskStore({ db, events: system.core.events }).claim(id, 'burst-writer', undefined, (error) =>
      unpublished.push(error),
    );
    expect(claim?.task.status).toBe('running');
    // Its `running` event went out before the listener below subscribes: what it hears is the writer's alone.
    await claim?.published;
    expect(unpublished).toEqual([]);

    // The writer publishes on a Redis of the test's own whose writes are paused: its PUBLISH waits there.
    const admin = createRedis(redis.url, 'test-burst-admin');
    const listener = createRedis(redis.url, 'test-burst-listener');
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await listener.subscribe(system.core.events.channel({ kind: 'task', id }));
    await admin.call('client', 'pause', '60000', 'WRITE');

    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/eventBurstProcess.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: system.config.databaseUrl,
        PUBLISH_REDIS_URL: redis.url,
        MISSION_QUEUE_PREFIX: system.config.queuePrefix,
        TASK_ID: id,
        WORKER_ID: 'burst-writer',
        ATTEMPTS: String(claim!.task.attempts),
        BURST: String(BURST),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    recordChild(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

    // Committed: the row says how it ended. The publish has not happened (paused): kill the writer there.
    await waitUntil(async () => (await taskRow(db, id))?.status === 'succeeded', 90_000, `the writer to commit the task's end (${output})`);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(output).not.toContain('published');
    await admin.call('client', 'unpause');
    await admin.ping();
    expect(heard).toEqual([]);

    // A reader that comes now finds the whole burst, in order, then the state event that ended the task.
    const messages = await readSse(await system.fetch(`/v1/tasks/${id}/events`), (message) => message.event === 'end');
    const read = messages.filter((m) => m.event !== 'end').map((m) => JSON.parse(m.data) as MissionEvent);
    expect(read.map((e) => e.seq)).toEqual(read.map((_, i) => i + 1));
    expect(read.map((e) => (e.type === 'state' ? `state ${e.payload.state}` : (e.payload as { text: string }).text))).toEqual([
      'state queued',
      'state running',
      ...Array.from({ length: BURST }, (_, i) => `line ${i}`),
      'state succeeded',
    ]);
    admin.disconnect();
    listener.disconnect();
  }, 150_000);
});
