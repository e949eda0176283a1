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

  it('takes memory as output comes, up to its capacity, and keeps the order across growth', () => {
    const ring = new RingBuffer(1024 * 1024);
    expect(ring.allocated).toBeLessThanOrEqual(16 * 1024);
    const chunk = (i: number) => Buffer.from(`${String(i).padStart(6, '0')}`.repeat(100));
    const written: Buffer[] = [];
    for (let i = 0; i < 3_000; i++) {
      written.push(chunk(i));
      ring.write(chunk(i));
    }
    const all = Buffer.concat(written);
    expect(ring.allocated).toBe(1024 * 1024);
    expect(ring.contents().equals(all.subarray(all.length - 1024 * 1024))).toBe(true);
  });

  it('grows to hold a write larger than what it has, when under capacity', () => {
    const ring = new RingBuffer(64 * 1024);
    ring.write(Buffer.from('head'));
    const big = Buffer.alloc(40 * 1024, 'x');
    ring.write(big);
    expect(ring.contents().toString()).toBe(`head${big.toString()}`);
    expect(ring.allocated).toBe(64 * 1024);
  });
});
