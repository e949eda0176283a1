import { describe, expect, it } from 'vitest';
import { EventAppender } from './eventLog.ts';
import type { MissionEventDraft } from '@mission/contracts';

const text = (n: number): MissionEventDraft => ({ type: 'assistant_message', payload: { text: String(n) } });
const texts = (batch: MissionEventDraft[]) => batch.map((draft) => (draft.payload as { text: string }).text);

/** A write the test finishes by hand, recording each batch it was given. */
function manualWriter() {
  const batches: string[][] = [];
  const finishers: (() => void)[] = [];
  const write = (batch: MissionEventDraft[]) => {
    batches.push(texts(batch));
    return new Promise<void>((resolve) => finishers.push(resolve));
  };
  return { batches, write, finishNext: () => finishers.shift()!() };
}

describe('EventAppender', () => {
  it('writes what was added in one turn of the event loop together, and everything added during a write as the next batch, in order', async () => {
    const writer = manualWriter();
    const appender = new EventAppender(writer.write);
    await appender.add(text(0));
    await appender.add(text(1));
    expect(writer.batches).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.batches).toEqual([['0', '1']]);
    for (const n of [2, 3, 4]) await appender.add(text(n));
    expect(writer.batches).toEqual([['0', '1']]);
    writer.finishNext();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.batches).toEqual([
      ['0', '1'],
      ['2', '3', '4'],
    ]);
    const flushed = appender.flushed();
    writer.finishNext();
    await flushed;
  });

  it('hands over to drain what it had not started writing: nothing is written then', async () => {
    const writer = manualWriter();
    const appender = new EventAppender(writer.write);
    for (const n of [1, 2]) await appender.add(text(n));
    expect(texts(await appender.drain())).toEqual(['1', '2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.batches).toEqual([]);
  });

  it('drain waits for the write in flight and hands over what came after it', async () => {
    const writer = manualWriter();
    const appender = new EventAppender(writer.write);
    await appender.add(text(1));
    await new Promise((resolve) => setImmediate(resolve)); // in flight
    await appender.add(text(2));
    const drained = appender.drain();
    writer.finishNext();
    expect(texts(await drained)).toEqual(['2']);
    expect(writer.batches).toEqual([['1']]);
  });

  it('makes its producer wait once 1,000 events are not yet written', async () => {
    const writer = manualWriter();
    const appender = new EventAppender(writer.write);
    await appender.add(text(0));
    await new Promise((resolve) => setImmediate(resolve)); // in flight
    for (let n = 1; n < 1_000; n++) await appender.add(text(n));
    let waited = true;
    const full = appender.add(text(1_000)).then(() => (waited = false));
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited).toBe(true);
    writer.finishNext(); // the first write ends; the 1,000 waiting go as one batch
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.batches[1]).toHaveLength(1_000);
    writer.finishNext();
    await full;
    expect(waited).toBe(false);
  });

  it('reports a failed write to whoever adds or flushes next, and writes nothing after it', async () => {
    const batches: string[][] = [];
    const appender = new EventAppender(async (batch) => {
      batches.push(texts(batch));
      throw new Error('database gone');
    });
    await appender.add(text(1));
    await expect(appender.flushed()).rejects.toThrow('database gone');
    await expect(appender.add(text(2))).rejects.toThrow('database gone');
    expect(batches).toEqual([['1']]);
  });
});
