import { newId, type SessionState, type SessionTurn, TimeoutError } from '@mission/contracts';
import { createLogger, tables, takeNextQueuedMessage } from '@mission/store';
import { type InteractiveSession, MessageDelivery } from '@mission/worker';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useStoreTestBed } from './support/storeTestBed.ts';

/** A session whose `send` types the message (counted) and then does what `outcome` says, in the state it leaves. */
function sessionThat(outcome: { state: SessionState; fails?: Error; turn?: SessionTurn }) {
  const typed: string[] = [];
  let state: SessionState = 'idle';
  const session = {
    id: newId('ses'),
    get state() {
      return state;
    },
    async send(text: string) {
      typed.push(text);
      state = outcome.state;
      if (outcome.fails) throw outcome.fails;
      return outcome.turn!;
    },
  } as unknown as InteractiveSession;
  return { session, typed };
}

describe('MessageDelivery', () => {
  const bed = useStoreTestBed('message-delivery');
  const delivery = () => new MessageDelivery({ db: bed.db, events: bed.events, logger: createLogger({ level: 'silent' }) });
  const queue = async (to: string) => {
    const id = newId('msg');
    await bed.db.insert(tables.sessionMessages).values({ id, toSessionId: to, text: 'please review', status: 'queued' });
    return id;
  };
  const row = async (id: string) => (await bed.db.select().from(tables.sessionMessages).where(eq(tables.sessionMessages.id, id)))[0]!;

  it('a message typed whose turn is still going when the wait for its reply ends stays delivered: it is never typed again', async () => {
    const { session, typed } = sessionThat({
      state: 'working',
      fails: new TimeoutError('timed out after 300000 ms waiting for the reply'),
    });
    const id = await queue(session.id);
    await delivery().deliver(session);
    expect(typed).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: 'delivered', reply: null, error: null });
    expect((await row(id)).deliveredAt).toBeInstanceOf(Date);
  });

  it('a message refused because the session is working (someone typed first) goes back to the queue', async () => {
    const { session } = sessionThat({ state: 'working', fails: new Error('the session is still working on the previous message') });
    const id = await queue(session.id);
    await delivery().deliver(session);
    expect(await row(id)).toMatchObject({ status: 'queued', deliveredAt: null });
  });

  it('an idle end of the turn is the reply', async () => {
    const { session } = sessionThat({ state: 'idle', turn: { state: 'idle', response: 'Reviewed.', dialog: null, approval: null } });
    const id = await queue(session.id);
    // The fake stays idle after its turn: the queue is empty after this message.
    await delivery().deliver(session);
    expect(await row(id)).toMatchObject({ status: 'answered', reply: 'Reviewed.' });
  });

  it('messages are claimed oldest first, each by one claimer only, even when claimers race', async () => {
    const to = newId('ses');
    const first = await queue(to);
    const second = await queue(to);
    // Another session's message is never taken for this one.
    const elsewhere = await queue(newId('ses'));
    const claims = await Promise.all([1, 2, 3, 4].map(() => takeNextQueuedMessage(bed.db, to)));
    const taken = claims.flatMap((claim) => (claim ? [claim.id] : []));
    expect(taken.sort()).toEqual([first, second].sort());
    expect(await row(first)).toMatchObject({ status: 'delivered', deliveredAt: expect.any(Date) });
    expect(await row(elsewhere)).toMatchObject({ status: 'queued' });
    // In order when taken one by one.
    const third = await queue(to);
    const fourth = await queue(to);
    expect((await takeNextQueuedMessage(bed.db, to))?.id).toBe(third);
    expect((await takeNextQueuedMessage(bed.db, to))?.id).toBe(fourth);
    expect(await takeNextQueuedMessage(bed.db, to)).toBeUndefined();
  });
});
