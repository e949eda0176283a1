import { fileURLToPath } from 'node:url';
import { forkScript, readyMessage } from './forkScript.ts';

const observerScript = fileURLToPath(new URL('./publishObserverProcess.ts', import.meta.url));

/**
 * When each message of a channel was seen on Redis, by a subscription of the bench's own in a process of its own
 * (the bench's process is busy reading a thousand streams, and would see it late): the one point both sides of
 * the fan-out bench can be timed from, since Mission's events are published by its worker, out of the bench's
 * sight. Messages are keyed by their `seq`.
 */
export async function observePublishes(redisUrl: string, channel: string) {
  const observer = forkScript(observerScript, { OBSERVER_REDIS_URL: redisUrl, OBSERVER_CHANNEL: channel });
  await readyMessage(observer);
  return {
    /** Stops observing; resolves when each seq was seen, in ms since the epoch. */
    async stop(): Promise<Map<number, number>> {
      const seen = new Promise<[number, number][]>((resolve) =>
        observer.once('message', (message) => resolve(message as [number, number][])),
      );
      observer.send('report');
      const entries = await seen;
      observer.disconnect();
      return new Map(entries);
    },
  };
}
