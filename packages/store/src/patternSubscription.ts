import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/** A pattern subscription asked of a connection that was closed for good (`disconnect()`): it will never be confirmed. */
export class SubscriberClosedError extends Error {
  constructor(pattern: string) {
    super(`the subscriber connection is closed: the pattern subscription ${pattern} will not be confirmed`);
    this.name = 'SubscriberClosedError';
  }
}

/** The pattern matching exactly the channels that start with `prefix` (glob characters in it taken literally). */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/**
 * One PSUBSCRIBE kept on a subscriber connection, and whether Redis confirmed it on the live connection: a listener
 * may rely on the pattern's messages (its reader goes on to replay what was stored before) only once
 * {@link confirmed} resolved. It is asked once when the connection is ready, and again after each reconnect:
 * ioredis subscribes again on its own when it reconnects, but tells nobody when Redis confirmed it, so our own
 * PSUBSCRIBE, sent after ioredis's, is the confirmation.
 */
export class PatternSubscription {
  private live = false;
  private closed = false;
  private waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly connection: Redis,
    readonly pattern: string,
    private readonly logger: Logger,
  ) {
    connection.on('ready', () => this.ask());
    // Until confirmed again, a new listener waits: what is published meanwhile would not reach it.
    connection.on('close', () => (this.live = false));
    connection.on('end', () => this.end());
    if (connection.status === 'ready') this.ask();
  }

  /** Resolves once Redis confirmed the pattern on the connection as it is now (at once when it has). */
  confirmed(): Promise<void> {
    if (this.closed) return Promise.reject(new SubscriberClosedError(this.pattern));
    // `close` is emitted a tick after the socket closed: the status tells it first.
    if (this.live && this.connection.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private ask(): void {
    this.connection.psubscribe(this.pattern).then(
      () => {
        this.live = true;
        for (const { resolve } of this.settle()) resolve();
      },
      (error: unknown) => {
        this.logger.warn(
          { err: error, pattern: this.pattern },
          'could not subscribe to a pattern: the listeners waiting for it fail; it is asked again after a reconnect',
        );
        for (const { reject } of this.settle()) reject(error);
      },
    );
  }

  private end(): void {
    this.closed = true;
    this.live = false;
    for (const { reject } of this.settle()) reject(new SubscriberClosedError(this.pattern));
  }

  private settle() {
    const waiting = this.waiting;
    this.waiting = [];
    return waiting;
  }
}
