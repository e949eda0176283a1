import type { Redis } from 'ioredis';

/**
 * A second witness of a worker's heartbeat, in Redis beside the Postgres row: a key per worker that lives
 * for the worker timeout and is renewed every beat. A worker whose Postgres heartbeat went stale while
 * its key lives was cut off from Postgres, not lost, and is left alone.
 */
export class WorkerLiveness {
  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
    /** The worker timeout: a key not renewed for this long is gone. */
    private readonly ttlMs: number,
  ) {}

  private key(workerId: string): string {
    return `${this.queuePrefix}:worker-alive:${workerId}`;
  }

  async beat(workerId: string): Promise<void> {
    await this.redis.set(this.key(workerId), String(Date.now()), 'PX', this.ttlMs);
  }

  async forget(workerId: string): Promise<void> {
    await this.redis.del(this.key(workerId));
  }

  /**
   * Whether Redis saw the worker beat within the timeout, or why Redis could not be asked (then there is
   * no evidence that the worker is gone, and it must not be declared lost).
   */
  async witness(workerId: string): Promise<'alive' | 'gone' | { unknown: Error }> {
    try {
      return (await this.redis.exists(this.key(workerId))) === 1 ? 'alive' : 'gone';
    } catch (error) {
      return { unknown: error as Error };
    }
  }
}
