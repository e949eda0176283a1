import type { ChannelSubscriber } from './channelSubscriber.ts';
import type { MissionEvent } from '@mission/contracts';

/**
 * Waits for something stored to change, without polling: subscribes to an owner's event channel,
 * then runs `check` once (the change may already have happened) and again after each event that
 * `matches`. Resolves with the first value `check` returns, or `undefined` after `timeoutMs` or on abort.
 */
export async function waitForEvent<T>(options: {
  subscriber: ChannelSubscriber;
  channel: string;
  matches: (event: MissionEvent) => boolean;
  check: () => Promise<T | undefined>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}): Promise<T | undefined> {
  let wake: () => void = () => {
    // replaced by the promise's resolve on the next line
  };
  let woken = new Promise<void>((resolve) => (wake = resolve));
  let expired = false;
  const unsubscribe = await options.subscriber.subscribe(options.channel, (message) => {
    if (options.matches(JSON.parse(message) as MissionEvent)) wake();
  });
  const expire = () => {
    expired = true;
    wake();
  };
  const timer = setTimeout(expire, options.timeoutMs);
  options.signal?.addEventListener('abort', expire, { once: true });
  try {
    for (;;) {
      const value = await options.check();
      if (value !== undefined || expired) return value;
      await woken;
      woken = new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', expire);
    unsubscribe();
  }
}
