import type { MissionEventDraft } from '@mission/contracts';
import { createLogger } from '@mission/store';
import { describe, expect, it } from 'vitest';
import { EVENT_NOT_STORED, SessionEvents } from './interactive.ts';

const logger = createLogger({ level: 'silent', name: 'session-events-test' });
const text = (t: string): MissionEventDraft => ({ type: 'assistant_message', payload: { text: t } });
const texts = (drafts: MissionEventDraft[]) =>
  drafts.map((draft) => (draft.type === 'assistant_message' ? draft.payload.text : draft.type));

/** A store whose writes are recorded and finish only once the test releases them. */
function gatedStore() {
  const writes: string[][] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    writes,
    store: async (drafts: MissionEventDraft[]) => {
      writes.push(texts(drafts));
      await gate;
    },
    release: () => release(),
  };
}

describe('SessionEvents', () => {
  it('stores the events emitted while a write is in flight together, in order, after it', async () => {
    const { writes, store, release } = gatedStore();
    const events = new SessionEvents(store, logger);
    events.emit(text('a'));
    await Promise.resolve();
    events.emit(text('b'));
    events.emit(text('c'));
    release();
    await events.flushed();
    expect(writes).toEqual([['a'], ['b', 'c']]);
  });

  it('a change recorded with runWith writes the events still waiting itself, after the write in flight', async () => {
    const { writes, store, release } = gatedStore();
    const events = new SessionEvents(store, logger);
    const changes: string[][] = [];
    events.emit(text('in flight'));
    await Promise.resolve();
    events.emit(text('reply'));
    events.runWith(
      async (before) => {
        changes.push([...texts(before), `idle after ${writes.length} write`]);
      },
      'not recorded',
      {},
    );
    release();
    await events.flushed();
    // One write for the reply and the change, not one more of its own.
    expect(writes).toEqual([['in flight']]);
    expect(changes).toEqual([['reply', 'idle after 1 write']]);
  });

  it('a failed write is logged and what follows is still stored', async () => {
    const logged: { msg: string; types?: string[] }[] = [];
    const log = createLogger(
      { level: 'error', name: 'session-events-test' },
      { write: (line: string) => void logged.push(JSON.parse(line)) },
    );
    const writes: string[][] = [];
    const events = new SessionEvents(async (drafts) => {
      writes.push(texts(drafts));
      if (writes.length === 1) throw new Error('Postgres is out of reach');
    }, log);
    events.emit(text('lost'));
    await events.flushed();
    events.emit(text('kept'));
    await events.flushed();
    expect(writes).toEqual([['lost'], ['kept']]);
    expect(logged).toEqual([expect.objectContaining({ msg: EVENT_NOT_STORED, types: ['assistant_message'] })]);
  });
});
