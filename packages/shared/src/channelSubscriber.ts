import type { Redis } from 'ioredis';

type Listener = (message: string) => void;

/**
 * One Redis subscriber connection shared by every local listener: a hundred SSE clients on one task
 * cost one SUBSCRIBE, not a hundred connections.
 */
export class ChannelSubscriber {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly connection: Redis) {
    connection.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
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
        this.connection.unsubscribe(channel).catch(() => {});
      }
    };
  }

  disconnect(): void {
    this.connection.disconnect();
  }
}
