import type { ChannelSubscriber } from './channelSubscriber.ts';
import type { MissionEvent } from '@mission/contracts';

/**
 * A subscription to an owner's event channel that remembers whether an event that `matches` came: opened before
 * the change it waits for, so none is missed while the caller does something else first.
 */
export class EventWatch {
  private matched = false;
  private wake: (() => void) | undefined;
  private unsubscribe: () => void = () => {
    // replaced once the subscription is confirmed (open)
  };

  private constructor() {}

  /** Resolves once Redis confirmed the subscription. */
  static async open(subscriber: ChannelSubscriber, channel: string, matches: (event: MissionEvent) => boolean): Promise<EventWatch> {
    const watch = new EventWatch();
    // The event as parsed once for every listener of the message (the API's notification deriver takes each): read only.
    watch.unsubscribe = await subscriber.subscribe(channel, (_message, json) => {
      if (!matches(json() as MissionEvent)) return;
      watch.matched = true;
      watch.wake?.();
    });
    return watch;
  }

  /**
   * Resolves with the first value `check` returns, running it after each event that matched and once more at the
   * end; at once too unless `checkFirst` is false (nothing can have changed before the watch was opened: the
   * thing watched did not exist yet). `undefined` after `timeoutMs` or once any of `signals` aborts (one aborted
   * already: after that one check).
   */
  async until<T>(
    check: () => Promise<T | undefined>,
    options: { timeoutMs: number; signals?: readonly (AbortSignal | undefined)[]; checkFirst?: boolean },
  ): Promise<T | undefined> {
    const signals = (options.signals ?? []).filter((signal) => signal !== undefined);
    let expired = signals.some((signal) => signal.aborted);
    const expire = () => {
      expired = true;
      this.wake?.();
    };
    const timer = setTimeout(expire, options.timeoutMs);
    // Listeners, not AbortSignal.any: a long-lived signal (the API's shutdown) would keep every wait's combined signal.
    for (const signal of signals) signal.addEventListener('abort', expire, { once: true });
    try {
      for (let due = options.checkFirst ?? true; ; due = this.takeMatched()) {
        if (due || expired) {
          const value = await check();
          if (value !== undefined || expired) return value;
        }
        if (!this.matched && !expired) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
        }
      }
    } finally {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', expire);
    }
  }

  close(): void {
    this.unsubscribe();
  }

  private takeMatched(): boolean {
    const matched = this.matched;
    this.matched = false;
    return matched;
  }
}

/**
 * Waits for something stored to change, without polling: subscribes to an owner's event channel,
 * then runs `check` once (the change may already have happened) and again after each event that
 * `matches`. Resolves with the first value `check` returns, or `undefined` after `timeoutMs` or once any of `signals`
 * aborts.
 */
export async function waitForEvent<T>(options: {
  subscriber: ChannelSubscriber;
  channel: string;
  matches: (event: MissionEvent) => boolean;
  check: () => Promise<T | undefined>;
  timeoutMs: number;
  signals?: readonly (AbortSignal | undefined)[];
}): Promise<T | undefined> {
  const watch = await EventWatch.open(options.subscriber, options.channel, options.matches);
  try {
    return await watch.until(options.check, options);
  } finally {
    watch.close();
  }
}
