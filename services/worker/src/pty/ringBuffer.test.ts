import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ringBuffer.ts';

describe('RingBuffer', () => {
  it('keeps everything while under capacity', () => {
    const ring = new RingBuffer(8);
    ring.write(Buffer.from('abc'));
    ring.write(Buffer.from('de'));
    expect(ring.contents().toString()).toBe('abcde');
    expect(ring.size).toBe(5);
  });

  it('drops the oldest bytes across the wrap', () => {
    const ring = new RingBuffer(8);
    ring.write(Buffer.from('abcdef'));
    ring.write(Buffer.from('ghij'));
    expect(ring.contents().toString()).toBe('cdefghij');
    ring.write(Buffer.from('k'));
    expect(ring.contents().toString()).toBe('defghijk');
  });

  it('keeps the tail of a write larger than itself', () => {
    const ring = new RingBuffer(4);
    ring.write(Buffer.from('xy'));
    ring.write(Buffer.from('0123456789'));
    expect(ring.contents().toString()).toBe('6789');
  });
});
