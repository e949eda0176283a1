import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ChannelSubscriber } from './channelSubscriber.ts';
import { subscriptionsOf as subscriptionsOfConnection } from './pubsub.testSupport.ts';
import { createLogger } from './logger.ts';
import { channels } from './queues.ts';
import { createRedis, type Redis } from './redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ level: 'warn', name: 'channel-subscriber-test' });
const prefix = `t${randomBytes(5).toString('hex')}`;
const channel = channels(prefix);
const publisher = createRedis(url, 'channel-subscriber-test-pub');
const admin = createRedis(url, 'channel-subscriber-test-admin');
const opened: Redis[] = [];

/** A subscriber on a connection of its own, named so that CLIENT LIST finds it (with the events feed unless `feed` is false). */
function subscriberOf(
  name: string,
  feed = true,
  prefixes: string[] = [],
): { subscriber: ChannelSubscriber; connection: Redis; name: string } {
  const unique = `${prefix}-${name}`;
  const connection = createRedis(url, unique, logger);
  opened.push(connection);
  const options = { ...(feed ? { feed: channel.eventsPrefix } : {}), prefixes };
  return { subscriber: new ChannelSubscriber(connection, logger, options), connection, name: unique };
}

/** The connection's channel and pattern subscriptions, as Redis counts them. */
const subscriptionsOf = (name: string) => subscriptionsOfConnection(admin, name);

/** A listener keeping the messages it is given, and a promise of them once `count` came. */
function collect(count: number): { listener: (message: string) => void; all: Promise<string[]> } {
  const messages: string[] = [];
  let done: (messages: string[]) => void = () => {
    // replaced by the promise's resolve below
  };
  const all = new Promise<string[]>((resolve) => (done = resolve));
  return {
    listener: (message) => {
      messages.push(message);
      if (messages.length === count) done(messages);
    },
    all,
  };
}

afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

afterAll(() => {
  publisher.disconnect();
  admin.disconnect();
});

describe('ChannelSubscriber with the events feed (real Redis)', () => {
  it('gives each owner’s listeners only that owner’s events, and the feed’s followers every event once, parsed once', async () => {
    const { subscriber, name } = subscriberOf('owners');
    const one = collect(2);
    const two = collect(1);
    const every: { channel: string; event: unknown }[] = [];
    const everyCame = collect(4);
    const shared: unknown[] = [];
    await subscriber.subscribe(channel.events('task', 'one'), (message, json) => (one.listener(message), shared.push(json())));
    await subscriber.subscribe(channel.events('session', 'two'), two.listener);
    const stopFollowing = await subscriber.follow((from, message, json) => {
      every.push({ channel: from, event: json() });
      everyCame.listener(message);
    });

    // One subscriber of every events channel: the pattern (no channel of its own); PUBLISH counts it once.
    expect(await subscriptionsOf(name)).toMatchObject({ sub: 0, psub: 1 });
    expect(await publisher.publish(channel.events('task', 'one'), '{"seq":1}')).toBe(1);
    expect(await publisher.publish(channel.events('session', 'two'), '{"seq":1}')).toBe(1);
    expect(await publisher.publish(channel.events('task', 'one'), '{"seq":2}')).toBe(1);
    expect(await publisher.publish(channel.events('task', 'three'), '{"seq":1}')).toBe(1);

    expect(await one.all).toEqual(['{"seq":1}', '{"seq":2}']);
    expect(await two.all).toEqual(['{"seq":1}']);
    await everyCame.all;
    expect(every).toEqual([
      { channel: channel.events('task', 'one'), event: { seq: 1 } },
      { channel: channel.events('session', 'two'), event: { seq: 1 } },
      { channel: channel.events('task', 'one'), event: { seq: 2 } },
      { channel: channel.events('task', 'three'), event: { seq: 1 } },
    ]);
    // The owner's listener and the follower were given the same parsed value.
    expect(shared[0]).toBe(every[0]!.event);
    expect(shared[1]).toBe(every[2]!.event);
    stopFollowing();
  });

  it('resolves a subscribe only once Redis confirmed the pattern: an event published then reaches it', async () => {
    const { subscriber, connection } = subscriberOf('confirm');
    expect(connection.status).not.toBe('ready');
    let readyFirst = false;
    connection.once('ready', () => (readyFirst = true));
    const heard = collect(1);
    await subscriber.subscribe(channel.events('task', 'early'), heard.listener);
    expect(readyFirst).toBe(true);
    expect(await publisher.publish(channel.events('task', 'early'), 'first')).toBe(1);
    expect(await heard.all).toEqual(['first']);
  });

  it('keeps other channels on their own SUBSCRIBE, and sends no UNSUBSCRIBE for an events channel', async () => {
    const { subscriber, name } = subscriberOf('plain');
    const heard = collect(1);
    const unsubscribeEvents = await subscriber.subscribe(channel.events('task', 'x'), () => {
      // heard through the pattern; only its subscription counts here
    });
    const unsubscribePlain = await subscriber.subscribe(`${prefix}:reply:x`, heard.listener);
    expect(await subscriptionsOf(name)).toMatchObject({ sub: 1, psub: 1 });
    expect(await publisher.publish(`${prefix}:reply:x`, 'reply')).toBe(1);
    expect(await heard.all).toEqual(['reply']);
    unsubscribeEvents();
    unsubscribePlain();
    await subscriber.subscribe(`${prefix}:reply:y`, heard.listener); // after the UNSUBSCRIBE, in order
    expect(await subscriptionsOf(name)).toMatchObject({ sub: 1, psub: 1 });
  });

  it('hears channels under its other prefixes through a pattern each, with no SUBSCRIBE or UNSUBSCRIBE, and not on the feed', async () => {
    const replies = `${prefix}:reply:me.`;
    const { subscriber, name } = subscriberOf('prefixes', true, [replies]);
    const every: string[] = [];
    await subscriber.follow((_channel, message) => every.push(message));
    const heard = collect(2);
    const stop = await subscriber.subscribe(`${replies}1`, heard.listener);
    expect(await subscriptionsOf(name)).toMatchObject({ sub: 0, psub: 2 });
    expect(await publisher.publish(`${replies}1`, 'one')).toBe(1);
    expect(await publisher.publish(`${replies}2`, 'not listened to')).toBe(1);
    expect(await publisher.publish(channel.events('task', 'p'), 'event')).toBe(1);
    expect(await publisher.publish(`${replies}1`, 'two')).toBe(1);
    expect(await heard.all).toEqual(['one', 'two']);
    stop();
    expect(every).toEqual(['event']);
    expect(await subscriptionsOf(name)).toMatchObject({ sub: 0, psub: 2 });
  });

  it('after its connection is killed, hears events again, and resolves a subscribe only once the pattern is confirmed again', async () => {
    const { subscriber, connection, name } = subscriberOf('reconnect');
    const before = collect(2);
    const every: string[] = [];
    await subscriber.subscribe(channel.events('task', 'before'), before.listener);
    await subscriber.follow((_channel, message) => every.push(message));
    expect(await publisher.publish(channel.events('task', 'before'), 'a')).toBe(1);

    const closed = once(connection, 'close');
    await admin.client('KILL', 'ID', (await subscriptionsOf(name)).id);
    await closed;
    let resolved = false;
    let resolvedWhenReady: boolean | undefined;
    connection.once('ready', () => (resolvedWhenReady = resolved));
    const after = collect(1);
    await subscriber.subscribe(channel.events('task', 'after'), after.listener).then(() => (resolved = true));
    expect(resolvedWhenReady).toBe(false);

    expect(await subscriptionsOf(name)).toMatchObject({ sub: 0, psub: 1 });
    expect(await publisher.publish(channel.events('task', 'before'), 'b')).toBe(1);
    expect(await publisher.publish(channel.events('task', 'after'), 'c')).toBe(1);
    expect(await before.all).toEqual(['a', 'b']);
    expect(await after.all).toEqual(['c']);
    expect(every).toEqual(['a', 'b', 'c']);
  });

  it('fails a subscribe on a subscriber closed for good', async () => {
    const { subscriber, connection } = subscriberOf('closed');
    await subscriber.subscribe(channel.events('task', 'open'), () => {
      // only its confirmation matters
    });
    const ended = once(connection, 'end');
    subscriber.disconnect();
    await ended;
    await expect(subscriber.subscribe(channel.events('task', 'late'), () => undefined)).rejects.toThrow(/subscriber connection is closed/);
  });
});

describe('ChannelSubscriber without the feed (the worker’s)', () => {
  it('subscribes to an events channel with a SUBSCRIBE of its own, and has no feed to follow', async () => {
    const { subscriber, name } = subscriberOf('worker', false);
    const heard = collect(1);
    await subscriber.subscribe(channel.events('task', 'w'), heard.listener);
    expect(await subscriptionsOf(name)).toMatchObject({ sub: 1, psub: 0 });
    // Not heard by this subscriber: it has no pattern.
    expect(await publisher.publish(channel.events('task', 'other'), 'not for it')).toBe(0);
    expect(await publisher.publish(channel.events('task', 'w'), 'for it')).toBe(1);
    expect(await heard.all).toEqual(['for it']);
    await expect(subscriber.follow(() => undefined)).rejects.toThrow(/no feed/);
  });
});
