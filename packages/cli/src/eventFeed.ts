import type { MissionEvent, OwnerKind } from '@mission/contracts';
import { ApiError, UnreachableError } from './errors.ts';
import type { ApiClient } from './http.ts';

const RECONNECT_DELAY_MS = 1_000;
/**
 * How long a followed stream keeps reconnecting to an API it cannot reach (a restart, a rolling deploy of its pods)
 * before it gives up with that failure.
 */
const GIVE_UP_UNREACHABLE_MS = 60_000;

export interface EventOwnerRef {
  kind: OwnerKind;
  id: string;
}

/** Which event stream an id belongs to: sessions are `ses_…`, everything else is looked up as a task. */
export function ownerOf(id: string): EventOwnerRef {
  return { kind: id.startsWith('ses_') ? 'session' : 'task', id };
}

export const ownerPath = (owner: EventOwnerRef) => `/v1/${owner.kind === 'session' ? 'sessions' : 'tasks'}/${encodeURIComponent(owner.id)}`;

/**
 * The events of a task or session in order, from the API's SSE stream (those after `after`, or its `last` N stored
 * ones, if given): with `follow`,
 * until the owner ends (the stream's `end`), reconnecting after the last seq when the connection closes or is cut,
 * for as long as the API is unreachable (or answers 503) for less than GIVE_UP_UNREACHABLE_MS (an API never reached fails at once: a
 * wrong MISSION_URL is said now — unless `reachedBefore`, the command having reached it already, as an ask cut by the
 * API's restart has); without, the events stored so far (`?follow=false`). `signal` ends it quietly.
 */
export async function* ownerEvents(
  api: ApiClient,
  owner: EventOwnerRef,
  options: { follow: boolean; after?: number; last?: number; signal?: AbortSignal; reachedBefore?: boolean | undefined },
): AsyncGenerator<MissionEvent> {
  const { signal } = options;
  // Where the next connection starts: the last N at first, if asked, and after the last event seen from then on.
  let from = options.last === undefined ? `after=${options.after ?? 0}` : `last=${options.last}`;
  let opened = options.reachedBefore === true;
  let unreachableSince: number | undefined;
  while (!signal?.aborted) {
    const abort = new AbortController();
    const stop = () => abort.abort();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const stream = await api.openStream(`${ownerPath(owner)}/events?${from}&follow=${options.follow}`, abort.signal);
      opened = true;
      unreachableSince = undefined;
      for await (const message of stream) {
        if (message.event === 'end') return;
        // A stored `error` event has its seq as id; the stream's own failure has none.
        if (message.event === 'error' && message.id === undefined) throw streamError(message.data);
        const event = JSON.parse(message.data) as MissionEvent;
        from = `after=${event.seq}`;
        yield event;
      }
    } catch (error) {
      if (signal?.aborted) return;
      // Unreachable, or unavailable for now (a 503: the API shutting down, or Redis down under it): tried again.
      if (!options.follow || !opened || !(error instanceof UnreachableError || (error instanceof ApiError && error.unavailable)))
        throw error;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince >= GIVE_UP_UNREACHABLE_MS) throw error;
    } finally {
      signal?.removeEventListener('abort', stop);
      abort.abort();
    }
    if (!options.follow || signal?.aborted) return;
    // The connection closed or was cut before the end (the API restarted, a proxy cut it): pick up where it was.
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
  }
}

function streamError(data: string): ApiError {
  const { code, message } = JSON.parse(data) as { code: string; message: string };
  return new ApiError(code, `the event stream failed: ${message}`);
}

/** The seq of the owner's last stored event (0 when it has none): where following what comes next starts. */
export async function lastEventSeq(api: ApiClient, owner: EventOwnerRef, signal?: AbortSignal): Promise<number> {
  let last = 0;
  for await (const event of ownerEvents(api, owner, { follow: false, last: 1, signal })) last = event.seq;
  return last;
}
