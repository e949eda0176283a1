import { tables } from '@mission/store';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const { tasks } = tables;

describe('fenced event appends (a writer that no longer holds its owner stores nothing)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // No worker: the task stays queued and the test writes its events.
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(async () => system?.close());

  it('stores while the fence holds, nothing (and resolves null) once it does not; an update of the owner waits for a fenced insert under way', async () => {
    const res = await system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'fenced' }),
    });
    const { id } = (await res.json()) as { id: string };
    const { db } = system.core.database;
    const owner = { kind: 'task' as const, id };
    const queuedHere = and(eq(tasks.id, id), eq(tasks.status, 'queued'));
    const fence = sql`exists (${db.select({ id: tasks.id }).from(tasks).where(queuedHere).for('share')})`;

    const stored = await system.core.events.appendFenced(owner, [{ type: 'assistant_message', payload: { text: 'while mine' } }], fence);
    expect(stored?.map((e) => e.seq)).toEqual([2]); // after the `queued` state event

    // The row is held `for share` while the fenced insert runs: the cancel lands after it, never between. The
    // insert is held up past its fence, the row locked, by an advisory lock the test holds meanwhile.
    let openGate!: () => void;
    const gateOpen = new Promise<void>((resolve) => (openGate = resolve));
    let gateShut!: () => void;
    const shut = new Promise<void>((resolve) => (gateShut = resolve));
    const gate = db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(4242)`);
      gateShut();
      await gateOpen;
    });
    await shut;
    const heldFence = sql`exists (with mine as materialized (${db.select({ id: tasks.id }).from(tasks).where(queuedHere).for('share')}) select 1 from mine where pg_advisory_xact_lock_shared(4242) is not null)`;
    const slowInsert = system.core.events.appendFenced(owner, [{ type: 'assistant_message', payload: { text: 'in flight' } }], heldFence);
    const waitingFor = (statement: string) => async () =>
      (
        (await db.execute(
          sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like ${`${statement}%`}`,
        )) as unknown[]
      ).length > 0;
    await waitUntil(waitingFor('insert into "events"'), 10_000, 'the fenced insert to hold the row and wait at the gate');
    let updated = false;
    const cancel = db
      .update(tasks)
      .set({ status: 'cancelled' })
      .where(eq(tasks.id, id))
      .then(() => (updated = true));
    await waitUntil(waitingFor('update "tasks"'), 10_000, 'the update to wait for the fenced insert');
    expect(updated).toBe(false);
    openGate();
    await gate;
    expect((await slowInsert)?.map((e) => e.seq)).toEqual([3]);
    await cancel;

    expect(
      await system.core.events.appendFenced(owner, [{ type: 'assistant_message', payload: { text: 'after the end' } }], fence),
    ).toBeNull();
    expect((await system.core.events.list(id)).map((e) => e.seq)).toEqual([1, 2, 3]);
  });
  // F9 (docs/faults.md): writers without a fence of their own (message status, audit, coordination status, …) stored events after the end.
  it('an append without a fence stores nothing once its owner has ended, also when the end commits while the append waits', async () => {
    const res = await system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'unfenced' }),
    });
    const { id } = (await res.json()) as { id: string };
    const { db } = system.core.database;
    const owner = { kind: 'task' as const, id };
    expect((await system.core.events.append(owner, { type: 'status', payload: { text: 'while queued' } }))?.seq).toBe(2);

    // The end holds the row (its update) until released: the append waits for it, then sees the task ended.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let updated!: () => void;
    const rowTaken = new Promise<void>((resolve) => (updated = resolve));
    const end = system.core.events.transaction(async (tx, record) => {
      await tx.update(tasks).set({ status: 'cancelled' }).where(eq(tasks.id, id));
      record(owner, { type: 'state', payload: { state: 'cancelled' } } as never);
      updated();
      await held;
    });
    await rowTaken;
    let appended: unknown = 'pending';
    const late = system.core.events
      .append(owner, { type: 'status', payload: { text: 'racing the end' } })
      .then((event) => (appended = event));
    const waitingForLock = async () =>
      (
        (await db.execute(
          sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into "events"%'`,
        )) as unknown[]
      ).length > 0;
    await waitUntil(waitingForLock, 10_000, 'the append to wait for the end');
    expect(appended).toBe('pending');
    release();
    await end;
    await late;
    expect(appended).toBeUndefined();
    expect(await system.core.events.append(owner, { type: 'status', payload: { text: 'after the end' } })).toBeUndefined();
    expect((await system.core.events.list(id)).map((e) => [e.seq, e.type])).toEqual([
      [1, 'state'],
      [2, 'status'],
      [3, 'state'],
    ]);
  });
});
