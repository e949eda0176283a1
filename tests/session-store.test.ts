import { type BlockingDialogView, newId } from '@mission/contracts';
import { createRedis, insertSessionMessage, SessionStore, sessionMessageRow, tables } from '@mission/store';
import { inArray, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisUrl } from './support/isolation.ts';
import { useStoreTestBed, withEventsRefused } from './support/storeTestBed.ts';

// A session's row and its state event commit together, on real Postgres and Redis; a worker writes only what it holds.
describe('SessionStore', () => {
  const bed = useStoreTestBed('session-store');
  let store: SessionStore;
  beforeAll(() => {
    store = new SessionStore({ db: bed.db, events: bed.events });
  });

  const claim = { claudeSessionId: 'c1', driver: 'hooks', workspaceBranch: null, workspacePath: null } as const;
  const created = async () =>
    (await store.create({ id: newId('ses'), slot: 'store', driver: 'hooks', cols: 120, rows: 40, parentId: null, temporary: false })).id;
  const claimed = async (workerId = 'worker-a') => {
    const id = await created();
    expect(await store.claim(id, workerId, claim)).toBe(true);
    return id;
  };
  const rowOf = async (id: string) => (await bed.db.select().from(tables.sessions).where(sql`id = ${id}`))[0]!;
  const states = async (id: string) =>
    (await bed.events.list(id)).filter((e) => e.type === 'state').map((e) => (e.payload as { state: string }).state);

  it('claims a session once, with its starting event', async () => {
    const id = await created();
    expect(await rowOf(id)).toMatchObject({ state: 'starting', ownerWorker: null });
    expect(await states(id)).toEqual([]);
    expect(await store.claim(id, 'worker-a', claim, 'resumed on worker-a')).toBe(true);
    expect(await store.claim(id, 'worker-b', claim)).toBe(false);
    expect(await rowOf(id)).toMatchObject({ ownerWorker: 'worker-a', claudeSessionId: 'c1' });
    expect((await bed.events.list(id)).map((e) => e.payload)).toEqual([{ state: 'starting', reason: 'resumed on worker-a' }]);
  });

  it('changes state with its event, or not at all when the event cannot be stored', async () => {
    const id = await claimed();
    await withEventsRefused(bed.db, async () => {
      await expect(store.changeState(id, 'worker-a', 'idle', {})).rejects.toThrow();
      expect((await rowOf(id)).state).toBe('starting');
    });

    const dialog: BlockingDialogView = { kind: 'trust_folder', text: 'Trust this folder?', options: [{ key: '1', label: 'Yes' }] };
    // A driver's own notes on the dialog (where its cursor is) are not stored: every client reads the row.
    const asRead = { ...dialog, numbered: true, selected: '1' };
    expect(await store.changeState(id, 'worker-a', 'blocked', { reason: 'trust: Trust this folder?' }, asRead)).toBe(true);
    expect((await rowOf(id)).blocking).toEqual(dialog);
    // The state event tells the same dialog (what a notification tells a person).
    expect((await bed.events.list(id)).at(-1)?.payload).toEqual({
      state: 'blocked',
      reason: 'trust: Trust this folder?',
      blocking: dialog,
    });
    expect(await rowOf(id)).toMatchObject({ state: 'blocked' });
    expect(await store.changeState(id, 'worker-a', 'idle', {})).toBe(true);
    expect(await rowOf(id)).toMatchObject({ state: 'idle', blocking: null });
    expect(await states(id)).toEqual(['starting', 'blocked', 'idle']);
  });

  it('stores the events before a change ahead of its state event and publishes them in that order', async () => {
    const id = await claimed();
    const listener = createRedis(redisUrl(), 'session-store-listener');
    const published: string[] = [];
    const all = new Promise<void>((resolve) =>
      listener.on('message', (_channel, message) => {
        published.push((JSON.parse(message) as { type: string }).type);
        if (published.length === 3) resolve();
      }),
    );
    try {
      await listener.subscribe(bed.events.channel({ kind: 'session', id }));
      const before = [
        { type: 'assistant_message', payload: { text: 'done' } },
        { type: 'notice', payload: { kind: 'command_output', text: 'done' } },
      ] as const;
      expect(await store.changeState(id, 'worker-a', 'idle', {}, null, before)).toBe(true);
      await all;
    } finally {
      listener.disconnect();
    }
    const stored = (await bed.events.list(id)).map((e) => [e.seq, e.type]);
    expect(stored).toEqual([
      [1, 'state'],
      [2, 'assistant_message'],
      [3, 'notice'],
      [4, 'state'],
    ]);
    expect(published).toEqual(['assistant_message', 'notice', 'state']);
    expect(await states(id)).toEqual(['starting', 'idle']);
  });

  it('writes nothing for a worker that no longer holds the session (taken by another, or ended)', async () => {
    const id = await claimed('worker-a');
    expect(await store.changeState(id, 'worker-b', 'working', {})).toBe(false);
    expect(await store.end(id, 'worker-b', { state: 'exited', exitCode: 0, exitSignal: null, reason: null }, { exitCode: 0 })).toBe(false);
    expect(await store.isHere(id, 'worker-b')).toBe(false);
    expect(await store.isHere(id, 'worker-a')).toBe(true);

    expect(
      await store.end(
        id,
        'worker-a',
        { state: 'exited', exitCode: 1, exitSignal: null, reason: 'it failed' },
        { exitCode: 1, reason: 'it failed' },
      ),
    ).toBe(true);
    expect(await rowOf(id)).toMatchObject({ state: 'exited', exitCode: 1, exitReason: 'it failed' });
    expect(await store.changeState(id, 'worker-a', 'idle', {})).toBe(false);
    expect(await store.end(id, 'worker-a', { state: 'lost', exitCode: null, exitSignal: null, reason: 'late' }, {})).toBe(false);
    expect(await store.isHere(id, 'worker-a')).toBe(false);
    expect(await states(id)).toEqual(['starting', 'exited']);
  });

  it("loses a lost worker's live sessions, and resumes an ended one for any worker", async () => {
    const live = await claimed('worker-lost');
    const ended = await claimed('worker-lost');
    await store.end(ended, 'worker-lost', { state: 'exited', exitCode: 0, exitSignal: null, reason: null }, { exitCode: 0 });
    const lost = await store.loseSessionsOf('worker-lost', 'its worker was lost', (id) => `lost ${id}`);
    expect(lost).toEqual([live]);
    expect(await rowOf(live)).toMatchObject({ state: 'lost', exitReason: 'its worker was lost' });
    expect((await bed.events.list(live)).at(-1)?.payload).toEqual({ state: 'lost', reason: `lost ${live}`, resumable: true });

    expect(await store.resume(live, 'exited', 'wrong state')).toBe(false);
    expect(await store.resume(live, 'lost', 'resuming')).toBe(true);
    expect(await rowOf(live)).toMatchObject({ state: 'starting', ownerWorker: null, exitReason: null, endedAt: null });
    expect(await store.claim(live, 'worker-b', claim)).toBe(true);
    expect(await states(live)).toEqual(['starting', 'lost', 'starting', 'starting']);
  });

  it("a blocked session that ends, by its exit or its worker lost, keeps no dialog: `blocking` is only ever a blocked session's", async () => {
    const dialog: BlockingDialogView = { kind: 'login_required', text: 'Not logged in · run /login', options: [] };
    const exiting = await claimed('worker-blocked');
    const losing = await claimed('worker-blocked');
    for (const id of [exiting, losing]) expect(await store.changeState(id, 'worker-blocked', 'blocked', {}, dialog)).toBe(true);
    expect(
      await store.end(exiting, 'worker-blocked', { state: 'exited', exitCode: 1, exitSignal: null, reason: 'claude exited' }, {}),
    ).toBe(true);
    expect(await store.loseSessionsOf('worker-blocked', 'its worker was lost', () => 'lost')).toEqual([losing]);
    expect(await rowOf(exiting)).toMatchObject({ state: 'exited', blocking: null });
    expect(await rowOf(losing)).toMatchObject({ state: 'lost', blocking: null });
  });

  it('ends a session no worker took, but not one a worker holds', async () => {
    const unclaimed = await created();
    expect(await store.endUnclaimed(unclaimed, 'lost', 'no worker took the session')).toBe(true);
    expect(await rowOf(unclaimed)).toMatchObject({ state: 'lost', exitReason: 'no worker took the session' });
    expect(await store.claim(unclaimed, 'worker-a', claim)).toBe(false);
    const held = await claimed();
    expect(await store.endUnclaimed(held, 'exited', 'killed before a worker took it')).toBe(false);
    expect((await rowOf(held)).state).toBe('starting');
  });

  it('refuses a move its table does not allow before touching the database', async () => {
    const id = await created();
    await expect(store.resume(id, 'starting' as never, 'no')).rejects.toThrow('a session cannot move from starting to starting');
  });

  it('records the running cost without a state change', async () => {
    const id = await claimed();
    await store.recordCost(id, 0.25, { input_tokens: 10 });
    expect(await rowOf(id)).toMatchObject({ state: 'starting', costUsd: 0.25, usage: { input_tokens: 10 } });
    expect(await states(id)).toEqual(['starting']);
  });
  const storedMessage = async (message: Parameters<typeof insertSessionMessage>[1]) => {
    const stored = await insertSessionMessage(bed.db, message);
    if (!('message' in stored)) throw new Error(`not stored: session ${stored.ended.id} has ended`);
    return stored.message;
  };

  it('stores no message to or from a session that has ended: it names that session', async () => {
    const live = await claimed('worker-alive');
    const ended = await claimed('worker-alive');
    expect(await store.end(ended, 'worker-alive', { state: 'exited', exitCode: 0, exitSignal: null, reason: null }, {})).toBe(true);
    const from = await insertSessionMessage(bed.db, { id: newId('msg'), fromSessionId: ended, toSessionId: live, text: 'from the ended' });
    expect(from).toEqual({ ended: { id: ended, state: 'exited' } });
    const to = await insertSessionMessage(bed.db, { id: newId('msg'), fromSessionId: live, toSessionId: ended, text: 'to the ended' });
    expect(to).toEqual({ ended: { id: ended, state: 'exited' } });
    expect(
      await bed.db
        .select()
        .from(tables.sessionMessages)
        .where(inArray(tables.sessionMessages.toSessionId, [live, ended])),
    ).toEqual([]);
  });

  // F9 (docs/faults.md): the sweep failed a lost session's pending messages after its `lost` event, which was then not its last.
  it('fails the messages pending for a session in the transaction that ends it, told before its end event, which stays its last', async () => {
    const sender = await claimed('worker-alive');
    const lostOne = await claimed('worker-gone');
    const exiting = await claimed('worker-alive');
    const toLost = await storedMessage({
      id: newId('msg'),
      fromSessionId: sender,
      toSessionId: lostOne,
      text: 'queued while its worker was cut off',
    });
    const toExiting = await storedMessage({
      id: newId('msg'),
      fromSessionId: null,
      toSessionId: exiting,
      text: 'from the operator',
    });

    expect(await store.loseSessionsOf('worker-gone', 'the worker holding it (worker-gone) was lost', () => 'lost')).toEqual([lostOne]);
    expect(await store.end(exiting, 'worker-alive', { state: 'exited', exitCode: 0, exitSignal: null, reason: null }, {})).toBe(true);

    for (const [session, message, ended] of [
      [lostOne, toLost, 'lost'],
      [exiting, toExiting, 'exited'],
    ] as const) {
      expect(await sessionMessageRow(bed.db, message.id)).toMatchObject({ status: 'failed' });
      const log = await bed.events.list(session);
      expect(
        log
          .slice(-2)
          .map((e) => [e.type, (e.payload as { status?: string; state?: string }).status ?? (e.payload as { state: string }).state]),
      ).toEqual([
        ['message_status', 'failed'],
        ['state', ended],
      ]);
    }
    expect((await sessionMessageRow(bed.db, toLost.id))?.error).toBe(
      'the session ended before the message was delivered: its worker (worker-gone) was lost',
    );
    // The sender, still live, is told too; a session that has ended is told nothing more.
    expect((await bed.events.list(sender)).at(-1)).toMatchObject({
      type: 'message_status',
      payload: { messageId: toLost.id, status: 'failed' },
    });
    expect(
      await bed.events.append(
        { kind: 'session', id: lostOne },
        { type: 'message_status', payload: { messageId: toLost.id, status: 'failed', reply: null, error: null } },
      ),
    ).toBeUndefined();
    expect((await bed.events.list(lostOne)).at(-1)).toMatchObject({ type: 'state', payload: { state: 'lost' } });
  });
});
