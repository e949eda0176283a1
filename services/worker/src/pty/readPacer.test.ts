import { describe, expect, it } from 'vitest';
import { ReadPacer } from './readPacer.ts';

const timing = { settleMs: 15, maxStaleMs: 100, animationMs: 500 };

describe('ReadPacer', () => {
  it('reads once the output settled, and at least every maxStaleMs while it keeps coming', () => {
    const pacer = new ReadPacer(timing);
    expect(pacer.rendered(1_000, false)).toBe(1_015);
    expect(pacer.rendered(1_010, false)).toBe(1_025);
    expect(pacer.rendered(1_090, false)).toBe(1_105);
    // A hundred milliseconds since the first unread output: read now.
    expect(pacer.rendered(1_100, false)).toBe(1_100);
    pacer.read(1_100);
    expect(pacer.rendered(1_120, false)).toBe(1_135);
  });

  it('reads output that only animated the screen at most every animationMs, and once settled', () => {
    const pacer = new ReadPacer(timing);
    // Nothing read yet: the first tick is read as soon as it settled.
    expect(pacer.rendered(1_000, true)).toBe(1_015);
    pacer.read(1_015);
    expect(pacer.rendered(1_080, true)).toBe(1_515);
    expect(pacer.rendered(1_160, true)).toBe(1_515);
    expect(pacer.rendered(1_510, true)).toBe(1_525);
    // Other output is read once it settled, whatever the animation waits for.
    expect(pacer.rendered(1_200, false)).toBe(1_215);
  });

  it('counts from the last read, whoever asked for it', () => {
    const pacer = new ReadPacer(timing);
    pacer.read(2_000);
    expect(pacer.rendered(2_100, true)).toBe(2_500);
    pacer.read(2_300);
    expect(pacer.rendered(2_310, true)).toBe(2_800);
  });
});
