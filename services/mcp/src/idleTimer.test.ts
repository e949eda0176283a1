import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleTimer } from './idleTimer.ts';

describe('IdleTimer', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('fires once the time has passed with no request open', () => {
    const onIdle = vi.fn();
    new IdleTimer(1_000, onIdle);
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('never fires while a request is open, and counts from the end of the last one', () => {
    const onIdle = vi.fn();
    const idle = new IdleTimer(1_000, onIdle);
    const endStream = idle.begin();
    const endPost = idle.begin();
    vi.advanceTimersByTime(5_000);
    endPost();
    endPost();
    vi.advanceTimersByTime(5_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    endStream();
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('a new request restarts the count', () => {
    const onIdle = vi.fn();
    const idle = new IdleTimer(1_000, onIdle);
    vi.advanceTimersByTime(900);
    idle.begin()();
    vi.advanceTimersByTime(900);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('stop leaves no timer, whatever ends after it', () => {
    const onIdle = vi.fn();
    const idle = new IdleTimer(1_000, onIdle);
    const end = idle.begin();
    idle.stop();
    end();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(onIdle).not.toHaveBeenCalled();
  });
});
