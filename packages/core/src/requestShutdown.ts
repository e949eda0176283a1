import { UnavailableError } from '@mission/contracts';

/**
 * The API's shutdown as a request's long waits hear it (an ask's, a coordination's, a message's for its reply): each
 * ends at once and answers 503, what it waited for going on — the shutdown is the API's, not the task's. Without it
 * a rolling restart waits out every ask in flight, up to its task's timeout.
 */
export class RequestShutdown {
  private readonly controller = new AbortController();

  /** Aborted once the shutdown has begun: a wait ends on it as on its caller's own signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `reason`: who shuts down (`the API is shutting down`), the start of every refusal. */
  begin(reason: string): void {
    this.controller.abort(reason);
  }

  /** Once the shutdown has begun (it ended the caller's wait): 503, saying what goes on and how to have its end. */
  assertNotBegun(goesOn: string, details: Record<string, unknown>): void {
    if (this.signal.aborted) throw new UnavailableError(`${String(this.signal.reason)}; ${goesOn}`, details);
  }
}
