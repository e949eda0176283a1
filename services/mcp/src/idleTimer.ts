/**
 * Ends what nobody uses: counts the requests open on an MCP session (a POST being answered, the GET
 * notification stream a connected client holds) and calls `onIdle` once `ttlMs` has passed with
 * none open. Armed from the start, so a session that is never used again expires too.
 */
export class IdleTimer {
  private open = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  /** A request began; call the returned function when it ends (more calls do nothing). */
  begin(): () => void {
    this.open++;
    this.disarm();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.open === 0) this.arm();
    };
  }

  /** The session has closed: no expiry any more. */
  stop(): void {
    this.open = Number.POSITIVE_INFINITY;
    this.disarm();
  }

  private arm(): void {
    this.timer = setTimeout(this.onIdle, this.ttlMs);
    // An idle session alone keeps no process running.
    this.timer.unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
