import { ChannelSubscriber, createLogger, createRedis, EventWatch } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from './support/isolation.ts';

// An ask subscribes before its task exists and reads the task only once its end is heard: nothing may be missed between.
describe('EventWatch (real Redis)', () => {
  const logger = createLogger({ level: 'silent', name: 'event-watch-test' });
  let subscriber: ChannelSubscriber;
  let publisher: ReturnType<typeof createRedis>;
  beforeAll(() => {
    subscriber = new ChannelSubscriber(createRedis(redisUrl(), 'event-watch-sub'), logger);
    publisher = createRedis(redisUrl(), 'event-watch-pub');
  });
  afterAll(() => {
    subscriber.disconnect();
    publisher.disconnect();
  });

  const event = (state: string) => JSON.stringify({ ownerKind: 'task', ownerId: 't', seq: 1, type: 'state', payload: { state } });
  const isEnd = (e: { type: string; payload: unknown }) => (e.payload as { state: string }).state === 'succeeded';

  it('without checkFirst, checks only once a matching event came, also one published before it was asked to wait', async () => {
    const channel = `${uniquePrefix()}:events:task:t`;
    const watch = await EventWatch.open(subscriber, channel, isEnd);
    let checks = 0;
    let ended = false;
    const check = async () => {
      checks++;
      return ended ? 'ended' : undefined;
    };
    await publisher.publish(channel, event('running'));
    ended = true;
    await publisher.publish(channel, event('succeeded'));
    // The end was published before until() runs: the watch has heard it (or hears it now) and checks once.
    await expect(watch.until(check, { timeoutMs: 30_000, checkFirst: false })).resolves.toBe('ended');
    expect(checks).toBe(1);
    watch.close();
  });

  it('checks at once by default, and once more when it times out', async () => {
    const watch = await EventWatch.open(subscriber, `${uniquePrefix()}:events:task:t`, isEnd);
    let checks = 0;
    await expect(watch.until(async () => void checks++, { timeoutMs: 50 })).resolves.toBeUndefined();
    expect(checks).toBe(2);
    watch.close();
  });

  it('ends at once, after one check, on a signal aborted before it waits (the API began to shut down meanwhile)', async () => {
    const watch = await EventWatch.open(subscriber, `${uniquePrefix()}:events:task:t`, isEnd);
    let checks = 0;
    const aborted = AbortSignal.abort();
    await expect(
      watch.until(async () => void checks++, { timeoutMs: 60_000, signals: [undefined, aborted], checkFirst: false }),
    ).resolves.toBeUndefined();
    expect(checks).toBe(1);
    watch.close();
  });

  it('ends when any of its signals aborts', async () => {
    const watch = await EventWatch.open(subscriber, `${uniquePrefix()}:events:task:t`, isEnd);
    const first = new AbortController();
    const second = new AbortController();
    const waiting = watch.until(async () => undefined, { timeoutMs: 60_000, signals: [first.signal, second.signal], checkFirst: false });
    second.abort();
    await expect(waiting).resolves.toBeUndefined();
    watch.close();
  });
});
