import { describe, expect, it } from 'vitest';
import { ReadPacer } from './readPacer.ts';

const timing = { settleMs: 15, maxStaleMs: 100, animationMs: 500, transcriptMs: 200 };

describe('ReadPacer', () => {
  it('reads once the output settled, and at least every maxStaleMs while it keeps coming', () => {
    const pacer = new ReadPacer(timing);
    expect(pacer.rendered(1_000, 'frame')).toBe(1_015);
    expect(pacer.rendered(1_010, 'frame')).toBe(1_025);
    expect(pacer.rendered(1_090, 'frame')).toBe(1_105);
    // A hundred milliseconds since the first unread output: read now.
    expect(pacer.rendered(1_100, 'frame')).toBe(1_100);
    pacer.read(1_100);
    expect(pacer.rendered(1_120, 'frame')).toBe(1_135);
  });

  it('reads output that only animated the screen at most every animationMs, and once settled', () => {
    const pacer = new ReadPacer(timing);
    // Nothing read yet: the first tick is read as soon as it settled.
    expect(pacer.rendered(1_000, 'animation')).toBe(1_015);
    pacer.read(1_015);
    expect(pacer.rendered(1_080, 'animation')).toBe(1_515);
    expect(pacer.rendered(1_160, 'animation')).toBe(1_515);
    expect(pacer.rendered(1_510, 'animation')).toBe(1_515);
    // Other output is read as soon as it settles (here: output kept coming for 100 ms), whatever the animation waits for.
    expect(pacer.rendered(1_520, 'frame')).toBe(1_520);
  });

  it('reads output that only wrote the transcript at most every transcriptMs', () => {
    const pacer = new ReadPacer(timing);
    pacer.read(2_000);
    expect(pacer.rendered(2_050, 'transcript')).toBe(2_200);
    expect(pacer.rendered(2_195, 'transcript')).toBe(2_200);
    pacer.read(2_200);
    // A reader read it meanwhile: counted from then.
    pacer.read(2_300);
    expect(pacer.rendered(2_310, 'transcript')).toBe(2_500);
    expect(pacer.rendered(2_320, 'frame')).toBe(2_335);
  });
});
