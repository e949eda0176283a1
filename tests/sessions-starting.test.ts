import os from 'node:os';
import type { MissionEvent, Session } from '@mission/contracts';
import { queueNames } from '@mission/store';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

/** Killing sessions no worker has taken yet: this system has no worker, so every new session stays `starting`. */
describe('killing a session that is still starting', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
    await system.core.slots.put('default', { cwd: os.tmpdir() });
  });
  afterAll(() => system?.close());

  const call = <T>(method: string, route: string, body?: unknown) => system.call<T>(method, route, body);

  /** Starts a spawn (it waits for a worker that never comes) and returns the new session's id and the pending call. */
  async function startSpawn(
    body: Record<string, unknown> = {},
  ): Promise<{ id: string; spawning: Promise<{ status: number; body: Session }> }> {
    const before = new Set((await system.core.sessions.list({})).map((session) => session.id));
    const spawning = call<Session>('POST', '/v1/sessions', { slot: 'default', ...body });
    let id: string | undefined;
    await waitUntil(
      async () => {
        id = (await system.core.sessions.list({})).find((session) => !before.has(session.id))?.id;
        return id !== undefined;
      },
      10_000,
      'the session row',
    );
    return { id: id!, spawning };
  }

  const spawnJobs = async () => {
    const queue = new Queue(queueNames.sessions, { connection: system.core.redis, prefix: system.core.config.queuePrefix });
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    await queue.close();
    return jobs.map((job) => job.id);
  };

  it('takes its spawn job off the queue and ends it exited; the spawn call answers with the ended session', async () => {
    const { id, spawning } = await startSpawn();
    expect(await spawnJobs()).toContain(id);
    const killed = await call<Session>('POST', `/v1/sessions/${id}/kill`);
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ id, state: 'exited', ownerWorker: null });
    expect(await spawnJobs()).not.toContain(id);
    const spawned = await spawning;
    expect(spawned.body).toMatchObject({ id, state: 'exited' });
    const states = (await system.core.events.list(id)).filter(
      (event): event is Extract<MissionEvent, { type: 'state' }> => event.type === 'state',
    );
    expect(states.at(-1)?.payload).toMatchObject({ state: 'exited', reason: 'killed before a worker took it' });
  });

  it('cascade kill ends a descendant that is still starting instead of stopping at it', async () => {
    const parent = await startSpawn();
    const child = await startSpawn({ parent: parent.id });
    const killed = await call<Session>('POST', `/v1/sessions/${parent.id}/kill?cascade=true`);
    expect(killed.status).toBe(200);
    expect(killed.body.state).toBe('exited');
    expect((await call<Session>('GET', `/v1/sessions/${child.id}`)).body).toMatchObject({ parentId: parent.id, state: 'exited' });
    await Promise.all([parent.spawning, child.spawning]);
    expect(await spawnJobs()).toEqual([]);
  });
});
