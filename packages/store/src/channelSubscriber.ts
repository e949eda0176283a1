import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import { PatternSubscription, prefixPattern } from './patternSubscription.ts';

/**
 * Called with each message of a channel; `json()` parses it once for all the channel's listeners (they share
 * the parsed value, so none may change it).
 */
type Listener = (message: string, json: () => unknown) => void;

/** Called with every message of the feed (see {@link ChannelSubscriberOptions.feed}), with `json()` shared as above. */
export type FeedListener = (channel: string, message: string, json: () => unknown) => void;

export interface ChannelSubscriberOptions {
  /**
   * Hear every channel starting with this prefix through one pattern subscription, confirmed once (and again after
   * a reconnect), instead of a SUBSCRIBE and an UNSUBSCRIBE per channel listened to: for a process that takes every
   * event anyway (the API's notification deriver), so a request waiting on one owner's events costs no round trip
   * to Redis. A process that must not receive every message (a worker) leaves it out.
   */
  feed?: string;
  /**
   * Prefixes of channels this process opens often and that carry only its own messages (the replies to the API's
   * worker commands): each is heard as the feed is, through a pattern subscription of its own, so opening a channel
   * under one costs no round trip; unlike the feed, nothing follows them whole.
   */
  prefixes?: readonly string[];
}

/** A prefix of channels heard through a pattern subscription; the feed's messages also go to its followers. */
interface HeardPrefix {
  prefix: string;
  subscription: PatternSubscription;
  feed: boolean;
}

/**
 * One Redis subscriber connection shared by every local listener: a hundred SSE clients on one task
 * cost one SUBSCRIBE, not a hundred connections, and one JSON parse per message.
 */
export class ChannelSubscriber {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly feedListeners = new Set<FeedListener>();
  /** The feed (if any) and the other prefixes, each with its pattern subscription. */
  private readonly heard: readonly HeardPrefix[];

  constructor(
    private readonly connection: Redis,
    private readonly logger: Logger,
    options: ChannelSubscriberOptions = {},
  ) {
    connection.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    const prefixes = [
      ...(options.feed === undefined ? [] : [{ prefix: options.feed, feed: true }]),
      ...(options.prefixes ?? []).map((prefix) => ({ prefix, feed: false })),
    ];
    this.heard = prefixes.map(({ prefix, feed }) => ({
      prefix,
      feed,
      subscription: new PatternSubscription(connection, prefixPattern(prefix), logger),
    }));
    if (this.heard.length > 0)
      connection.on('pmessage', (pattern: string, channel: string, message: string) => {
        const heard = this.heard.find((each) => each.subscription.pattern === pattern);
        if (heard) this.dispatch(channel, message, heard.feed ? this.feedListeners : undefined);
      });
  }

  /**
   * Resolves once Redis confirmed the subscription (for a channel under a heard prefix: its pattern, on the live
   * connection, with no command sent when it is); returns the function that ends it.
   */
  async subscribe(channel: string, listener: Listener): Promise<() => void> {
    const heard = this.heard.find((each) => channel.startsWith(each.prefix));
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
    }
    listeners.add(listener);
    await (heard ? heard.subscription.confirmed() : this.connection.subscribe(channel));
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(channel) === listeners) {
        this.listeners.delete(channel);
        if (!heard) this.unsubscribe(channel);
      }
    };
  }

  /** Takes every message of the feed; resolves once its pattern subscription is confirmed. Returns the function that stops it. */
  async follow(listener: FeedListener): Promise<() => void> {
    const feed = this.heard.find((each) => each.feed);
    if (!feed) throw new Error('this subscriber has no feed: it was made without the `feed` option');
    this.feedListeners.add(listener);
    try {
      await feed.subscription.confirmed();
    } catch (error) {
      this.feedListeners.delete(listener);
      throw error;
    }
    return () => this.feedListeners.delete(listener);
  }

  disconnect(): void {
    this.connection.disconnect();
  }

  /** The one place a message reaches its listeners: parsed at most once, and only when one of them asks. */
  private dispatch(channel: string, message: string, feedListeners?: Set<FeedListener>): void {
    let parsed: unknown;
    const json = () => (parsed ??= JSON.parse(message));
    for (const listener of this.listeners.get(channel) ?? []) listener(message, json);
    for (const listener of feedListeners ?? []) listener(channel, message, json);
  }

  private unsubscribe(channel: string): void {
    this.connection
      .unsubscribe(channel)
      .catch((error) =>
        this.logger.warn(
          { err: error, channel },
          'could not unsubscribe from a channel nobody listens to any more (its messages are ignored)',
        ),
      );
  }
}
