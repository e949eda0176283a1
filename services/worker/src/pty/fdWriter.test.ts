import { describe, expect, it } from 'vitest';
import { FdWriter, type WriteToFd } from './fdWriter.ts';

interface PendingWrite {
  text: string;
  done: (error: NodeJS.ErrnoException | null, written: number) => void;
}

/** A write that returns only when the test says so, as fs.write returns from the thread pool. */
function heldWrites(): { writeChunk: WriteToFd; pending: PendingWrite[] } {
  const pending: PendingWrite[] = [];
  const writeChunk: WriteToFd = (_fd, buffer, offset, done) => {
    pending.push({ text: buffer.subarray(offset).toString('utf8'), done });
  };
  return { writeChunk, pending };
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

describe('FdWriter', () => {
  it('writes one chunk at a time, in order, going on where a partial write stopped', () => {
    const { writeChunk, pending } = heldWrites();
    const writer = new FdWriter(7, writeChunk);
    writer.write('hello');
    writer.write(' world');
    expect(pending.map((write) => write.text)).toEqual(['hello']);
    pending[0]!.done(null, 2);
    expect(pending.map((write) => write.text)).toEqual(['hello', 'llo']);
    pending[1]!.done(null, 3);
    expect(pending.map((write) => write.text)).toEqual(['hello', 'llo', ' world']);
  });

  it('tries again on a later turn when the terminal is full', async () => {
    const { writeChunk, pending } = heldWrites();
    const writer = new FdWriter(7, writeChunk);
    writer.write('abc');
    pending[0]!.done(errno('EAGAIN'), 0);
    expect(pending).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending.map((write) => write.text)).toEqual(['abc', 'abc']);
  });

  it('stops only once the write in flight has returned, and writes nothing after', async () => {
    const { writeChunk, pending } = heldWrites();
    const writer = new FdWriter(7, writeChunk);
    writer.write('first');
    writer.write('queued');
    let stopped = false;
    const stopping = writer.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    pending[0]!.done(null, 5);
    await stopping;
    writer.write('late');
    expect(pending.map((write) => write.text)).toEqual(['first']);
  });

  it('stops at once when nothing is in flight', async () => {
    const { writeChunk, pending } = heldWrites();
    const writer = new FdWriter(7, writeChunk);
    await writer.stop();
    writer.write('late');
    expect(pending).toHaveLength(0);
  });

  it('drops the rest when the terminal has no program any more (EIO)', () => {
    const { writeChunk, pending } = heldWrites();
    const writer = new FdWriter(7, writeChunk);
    writer.write('one');
    writer.write('two');
    pending[0]!.done(errno('EIO'), 0);
    writer.write('three');
    expect(pending.map((write) => write.text)).toEqual(['one', 'three']);
  });
});
