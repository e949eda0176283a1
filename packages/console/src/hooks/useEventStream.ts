import { useEffect, useState } from 'preact/hooks';
import type { MissionEvent } from '../api/types.ts';
import { EVENT_TYPES } from '../events.ts';

export interface EventStream {
  events: MissionEvent[];
  /** The stream said `end`: the task or session is over and nothing more will come. */
  ended: boolean;
  error: string | undefined;
}

/**
 * Follows a task's or session's Server-Sent Events (`/v1/…/events`): the stored ones, then live ones.
 * EventSource reconnects by itself with Last-Event-ID, so nothing is shown twice.
 */
export function useEventStream(url: string): EventStream & { reopen(): void } {
  const [stream, setStream] = useState<EventStream>({ events: [], ended: false, error: undefined });
  // Opening the stream again (after a resume, say) replays it from the start and follows it on.
  const [opened, setOpened] = useState(0);

  useEffect(() => {
    setStream({ events: [], ended: false, error: undefined });
    const source = new EventSource(url);
    // The server's `event: error` (an error event of the task) and a connection failure both arrive as
    // `error`: only the first is a MessageEvent.
    const onEvent = (message: Event) => {
      if (!(message instanceof MessageEvent)) return setStream((s) => ({ ...s, error: connectionError(source) }));
      const event = JSON.parse(message.data as string) as MissionEvent | { code: string; message: string };
      if (!('seq' in event)) return setStream((s) => ({ ...s, error: `the event stream failed: ${event.message}` }));
      setStream((s) => (s.events.some((e) => e.seq === event.seq) ? s : { ...s, events: [...s.events, event], error: undefined }));
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onEvent);
    source.addEventListener('end', () => {
      source.close();
      setStream((s) => ({ ...s, ended: true }));
    });
    return () => source.close();
  }, [url, opened]);

  return { ...stream, reopen: () => setOpened((n) => n + 1) };
}

function connectionError(source: EventSource): string {
  return source.readyState === EventSource.CLOSED
    ? 'the event stream was refused (signed out, or no access?)'
    : 'the event stream dropped; reconnecting…';
}
