import { html } from 'htm/preact';
import type { MissionEvent } from '../api/types.ts';
import { describeEvent } from '../events.ts';
import { formatTime } from '../format.ts';

/**
 * The events of a task or session as a readable log: messages, tool calls, outputs, permissions, results; above them,
 * when the log starts later than its first stored event, a button that shows the `earlier` ones too.
 */
export function EventTimeline({
  events,
  empty,
  earlier = 0,
  onShowEarlier,
}: {
  events: MissionEvent[];
  empty: string;
  earlier?: number;
  onShowEarlier?: () => void;
}) {
  const lines = events.flatMap((event) => {
    const line = describeEvent(event);
    return line ? [{ ...line, seq: event.seq, at: event.at }] : [];
  });
  const showEarlier =
    earlier > 0 && onShowEarlier
      ? html`<p><button type="button" data-testid="show-earlier" onClick=${onShowEarlier}>Show the ${earlier.toLocaleString('en')} earlier ${earlier === 1 ? 'event' : 'events'}</button></p>`
      : null;
  if (lines.length === 0) return html`${showEarlier}<p class="muted">${empty}</p>`;
  return html`${showEarlier}<ol class="timeline">
    ${lines.map(
      (line) => html`<li key=${line.seq} class=${`event event-${line.kind}`}>
        <div class="event-head"><span>${line.title}</span><time>${formatTime(line.at)}</time></div>
        ${line.body === undefined ? null : html`<pre>${line.body}</pre>`}
      </li>`,
    )}
  </ol>`;
}
