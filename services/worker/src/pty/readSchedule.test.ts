import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScreenWrites } from './readPacer.ts';
import { ReadSchedule } from './readSchedule.ts';

describe('ReadSchedule', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(10_000);
  });
  afterEach(() => vi.useRealTimers());

  /** A schedule whose reads are counted, told `written` for each render. */
  function schedule() {
    let written: ScreenWrites = 'frame';
    const reads: number[] = [];
    const reader = new ReadSchedule({
      timing: { settleMs: 15, maxStaleMs: 100, animationMs: 500, transcriptMs: 250 },
      written: () => written,
      read: () => {
        reader.reading();
        reads.push(Date.now());
      },
    });
    return {
      reads,
      render(what: ScreenWrites) {
        written = what;
        reader.rendered();
      },
      reader,
    };
  }

  it('reads once output settled, however many renders came before', () => {
    const { reads, render } = schedule();
    render('frame');
    vi.advanceTimersByTime(10);
    render('frame');
    vi.advanceTimersByTime(14);
    expect(reads).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reads).toEqual([10_025]);
  });

  it('reads ticks of the spinner at most every animationMs, keeping the timer it set', () => {
    const { reads, render } = schedule();
    render('frame');
    vi.advanceTimersByTime(15);
    expect(reads).toEqual([10_015]);
    for (let tick = 0; tick < 9; tick++) {
      vi.advanceTimersByTime(80);
      render('animation');
    }
    vi.advanceTimersByTime(200);
    expect(reads).toEqual([10_015, 10_515]);
  });

  it('a read for a reader that wants the screen now drops the scheduled one', () => {
    const { reads, render, reader } = schedule();
    render('transcript');
    reader.reading();
    vi.advanceTimersByTime(1_000);
    expect(reads).toEqual([]);
  });
  it('soon() reads on the next tick even while the pacing would wait, once', () => {
    const { reads, render, reader } = schedule();
    render('animation');
    reader.soon();
    expect(reads).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(reads).toEqual([10_000]);
    vi.advanceTimersByTime(1_000);
    expect(reads).toEqual([10_000]);
  });
});
