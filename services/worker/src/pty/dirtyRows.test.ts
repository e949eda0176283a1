import { describe, expect, it } from 'vitest';
import { DirtyRows } from './dirtyRows.ts';

describe('DirtyRows', () => {
  it('starts with every row dirty, then tells only the rows marked since the last take', () => {
    const rows = new DirtyRows(5);
    expect(rows.take()).toEqual([0, 1, 2, 3, 4]);
    expect(rows.take()).toEqual([]);
    rows.mark(3);
    rows.mark(1);
    rows.mark(3);
    expect(rows.take()).toEqual([1, 3]);
    expect(rows.take()).toEqual([]);
  });

  it('marks a range whichever way round it is given, clamped to the screen (a row off it marks nothing)', () => {
    const rows = new DirtyRows(6);
    rows.take();
    rows.markRange(4, 2);
    rows.markRange(5, 9);
    rows.mark(-1);
    rows.mark(6);
    expect(rows.take()).toEqual([2, 3, 4, 5]);
  });

  it('reads the marks of a span as every row from the lowest to the highest, nested spans as one', () => {
    const rows = new DirtyRows(10);
    rows.take();
    rows.beginSpan();
    rows.mark(2);
    rows.beginSpan();
    rows.mark(7);
    rows.endSpan();
    expect(rows.take()).toEqual([]);
    rows.mark(5);
    rows.endSpan();
    expect(rows.take()).toEqual([2, 3, 4, 5, 6, 7]);
    // A span that marked nothing marks nothing.
    rows.beginSpan();
    rows.endSpan();
    expect(rows.take()).toEqual([]);
  });

  it('ignores the marks of a cursor move, also inside a span', () => {
    const rows = new DirtyRows(10);
    rows.take();
    rows.beginCursorMove();
    rows.mark(0);
    rows.mark(9);
    rows.endCursorMove();
    expect(rows.take()).toEqual([]);
    rows.beginSpan();
    rows.mark(4);
    rows.beginCursorMove();
    rows.mark(8);
    rows.endCursorMove();
    rows.endSpan();
    expect(rows.take()).toEqual([4]);
  });

  it('a resize or markAll makes every row dirty, at the new height', () => {
    const rows = new DirtyRows(3);
    rows.take();
    rows.markAll();
    expect(rows.take()).toEqual([0, 1, 2]);
    rows.resize(4);
    expect(rows.take()).toEqual([0, 1, 2, 3]);
    rows.mark(3);
    expect(rows.take()).toEqual([3]);
  });

  it('tells whether every row marked since the last take is among given rows, without taking them', () => {
    const rows = new DirtyRows(6);
    const ticking = new Set([0, 4]);
    // Every row is dirty at first.
    expect(rows.onlyAmong(ticking)).toBe(false);
    rows.take();
    expect(rows.onlyAmong(ticking)).toBe(true);
    rows.mark(4);
    expect(rows.onlyAmong(ticking)).toBe(true);
    rows.mark(2);
    expect(rows.onlyAmong(ticking)).toBe(false);
    expect(rows.take()).toEqual([2, 4]);
    rows.markAll();
    expect(rows.onlyAmong(new Set([0, 1, 2, 3, 4, 5]))).toBe(false);
  });
});
