import { useEffect, useState } from 'preact/hooks';
import type { MissionEvent } from '../api/types.ts';
import { EVENT_TYPES } from '../events.ts';

/** How many of an owner's latest stored events a page opens with: a long session's whole history waits to be asked for. */
export const EVENTS_SHOWN_FIRST = 200;

export interface EventStream {
  events: MissionEvent[];
  /** The stream said `end`: the task or session is over and nothing more will come. */
  ended: boolean;
  error: string | undefined;
}

/**
 * Follows a task's or session's Server-Sent Events (`/v1/…/events`): its last {@link EVENTS_SHOWN_FIRST} stored ones
 * (`?last=`), or all of them once `showEarlier` is called, then live ones. EventSource reconnects by itself with
 * Last-Event-ID (which the API reads before `?last=`), so nothing is shown twice or skipped.
 */
export function useEventStream(url: string): EventStream & {
  /** How many stored events come before the first one shown (0 once the whole history is shown). */
  earlier: number;
  reopen(): void;
  showEarlier(): void;
} {
  const [stream, setStream] = useState<EventStream>({ events: [], ended: false, error: undefined });
  // Opening the stream again (after a resume, say) replays it and follows it on.
  const [opened, setOpened] = useState(0);
  const [whole, setWhole] = useState(false);

  useEffect(() => {
    setStream({ events: [], ended: false, error: undefined });
    const source = new EventSource(whole ? url : `${url}?last=${EVENTS_SHOWN_FIRST}`);
    // The server's `event: error` (an error event of the task) and a connection failure both arrive as
    // `error`: only the first is a MessageEvent.
    const onEvent = (message: Event) => {
      if (!(message instanceof MessageEvent)) return setStream((s) => ({ ...s, error: connectionError(source) }));
      const event = JSON.parse(message.data as string) as MissionEvent | { code: string; message: string };
      if (!('seq' in event)) return setStream((s) => ({ ...s, error: `the event stream failed: ${event.message}` }));
      // Events come in the order of their seqs: one at or before the last shown was shown already.
      setStream((s) => ((s.events.at(-1)?.seq ?? 0) >= event.seq ? s : { ...s, events: [...s.events, event], error: undefined }));
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onEvent);
    source.addEventListener('end', () => {
      source.close();
      setStream((s) => ({ ...s, ended: true }));
    });
    return () => source.close();
  }, [url, opened, whole]);

  // An owner's events are numbered from 1 without gaps: the first one shown tells how many come before it.
  const earlier = whole ? 0 : Math.max(0, (stream.events[0]?.seq ?? 1) - 1);
  return { ...stream, earlier, reopen: () => setOpened((n) => n + 1), showEarlier: () => setWhole(true) };
}

function connectionError(source: EventSource): string {
  return source.readyState === EventSource.CLOSED
    ? 'the event stream was refused (signed out, or no access?)'
    : 'the event stream dropped; reconnecting…';
}
