import { performance } from 'node:perf_hooks';

/**
 * A worker's lease on its work, judged by its own evidence: the fleet declares a worker lost only once
 * neither its Postgres heartbeat nor its Redis witness has been renewed for `MISSION_WORKER_TIMEOUT_MS`, so
 * while the last heartbeat that landed (either one) was *sent* less than the timeout minus one heartbeat
 * interval ago, nobody can have taken its tasks and sessions. Past that, the worker must stop them itself
 * (fencing) before the fleet hands them to another. Times on the monotonic clock: a wall-clock jump changes nothing.
 */
export class WorkerLease {
  private lastLandedSentAt: number;

  constructor(
    /** MISSION_WORKER_TIMEOUT_MS − MISSION_HEARTBEAT_MS. */
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastLandedSentAt = now();
  }

  /** When a heartbeat is about to be sent: pass the result to {@link landed} once it is acknowledged. */
  sending(): number {
    return this.now();
  }

  /** A heartbeat sent at `sentAt` (from {@link sending}) landed. */
  landed(sentAt: number): void {
    this.lastLandedSentAt = Math.max(this.lastLandedSentAt, sentAt);
  }

  /** How long since the last heartbeat that landed was sent. */
  silentForMs(): number {
    return this.now() - this.lastLandedSentAt;
  }

  expired(): boolean {
    return this.silentForMs() > this.ttlMs;
  }
}
