import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * Called with each message of a channel; `json()` parses it once for all the channel's listeners (they share
 * the parsed value, so none may change it).
 */
type Listener = (message: string, json: () => unknown) => void;

/**
 * One Redis subscriber connection shared by every local listener: a hundred SSE clients on one task
 * cost one SUBSCRIBE, not a hundred connections, and one JSON parse per message.
 */
export class ChannelSubscriber {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly connection: Redis,
    private readonly logger: Logger,
  ) {
    connection.on('message', (channel: string, message: string) => {
      let parsed: unknown;
      const json = () => (parsed ??= JSON.parse(message));
      for (const listener of this.listeners.get(channel) ?? []) listener(message, json);
    });
  }

  /** Resolves once Redis confirmed the subscription; returns the function that ends it. */
  async subscribe(channel: string, listener: Listener): Promise<() => void> {
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
    }
    listeners.add(listener);
    await this.connection.subscribe(channel);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(channel) === listeners) {
        this.listeners.delete(channel);
        this.connection
          .unsubscribe(channel)
          .catch((error) =>
            this.logger.warn(
              { err: error, channel },
              'could not unsubscribe from a channel nobody listens to any more (its messages are ignored)',
            ),
          );
      }
    };
  }

  disconnect(): void {
    this.connection.disconnect();
  }
}
