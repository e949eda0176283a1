import type { QueueDepth as CoreQueueDepth } from '@mission/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import type { StubReply } from './support/stubAnthropic.ts';

type QueueDepth = CoreQueueDepth & { name: string; live?: number };

/**
 * GET /v1/queues/:name, what KEDA scales the workers on (k8s/base/keda.yaml reads `backlog`), against
 * real jobs: one worker that runs one task at a time, the real claude CLI on the stub API.
 */
describe('queue depth (GET /v1/queues/:name)', () => {
  let bed: ClaudeTestBed;
  const replies: Record<string, StubReply> = {};

  beforeAll(async () => {
    bed = await startClaudeTestBed({ env: { MISSION_WORKER_CONCURRENCY: '1' } });
    bed.stub.respond((request) => (request.tools.length === 0 ? { text: 'side request' } : replies[request.lastUserText]));
  });
  afterAll(async () => {
    await bed?.close();
  });

  const depth = async (name: string) => {
    const response = await bed.system.fetch(`/v1/queues/${name}`);
    return { status: response.status, body: (await response.json()) as QueueDepth };
  };
  const submit = async (prompt: string, priority?: number) => {
    const response = await bed.system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, priority }),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const status = async (id: string) => (await bed.system.core.tasks.get(id)).status;

  it('an idle fleet: nothing waiting, nothing running', async () => {
    expect(await depth('tasks')).toEqual({
      status: 200,
      body: { name: 'tasks', waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0, backlog: 0 },
    });
    expect(await depth('sessions')).toEqual({
      status: 200,
      body: { name: 'sessions', waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0, backlog: 0, live: 0 },
    });
  });

  it('sessions a worker holds are `live` (KEDA keeps a worker for them) until they end', async () => {
    const post = (route: string, body?: unknown) =>
      bed.system.fetch(route, {
        method: 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const spawned = (await (await post('/v1/sessions', { slot: 'default' })).json()) as { id: string };
    await waitUntil(async () => (await bed.system.core.sessions.get(spawned.id)).state === 'idle', 30_000, 'the session idle');
    expect((await depth('sessions')).body).toMatchObject({ backlog: 0, live: 1 });
    expect((await post(`/v1/sessions/${spawned.id}/kill`)).status).toBe(200);
    await waitUntil(async () => (await depth('sessions')).body.live === 0, 10_000, 'the ended session not counted');
    // The tasks queue has no sessions to tell.
    expect((await depth('tasks')).body).not.toHaveProperty('live');
  });

  it('tasks waiting behind a busy worker are the backlog; the one it runs is active; the backlog drains', async () => {
    replies['hold the only worker'] = { text: 'slow '.repeat(100), chunks: 100, chunkDelayMs: 100 };
    replies['first in line'] = { text: 'First.' };
    replies['second in line'] = { text: 'Second.' };
    const running = await submit('hold the only worker');
    await waitUntil(async () => (await status(running)) === 'running', 30_000, 'the first task to run');
    const queued = [await submit('first in line', 5), await submit('second in line')];

    // Every Mission task has a priority, so its job waits in BullMQ's prioritized set.
    expect(await depth('tasks')).toEqual({
      status: 200,
      body: { name: 'tasks', waiting: 0, prioritized: 2, active: 1, delayed: 0, failed: 0, backlog: 2 },
    });

    await bed.system.core.tasks.cancel(running);
    for (const id of queued) expect((await bed.system.core.tasks.waitForEnd(id, 60_000))?.status).toBe('succeeded');
    let drained: QueueDepth | undefined;
    await waitUntil(async () => (drained = (await depth('tasks')).body).active === 0, 10_000, 'the worker to finish its last job');
    expect(drained).toEqual({ name: 'tasks', waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0, backlog: 0 });
  });

  it('an unknown queue is a 404 that names it', async () => {
    const response = await bed.system.fetch('/v1/queues/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: "queue 'nope' not found" } });
  });
});
