import { html } from 'htm/preact';
import type { MissionEvent } from '../api/types.ts';
import { describeEvent } from '../events.ts';
import { formatTime } from '../format.ts';

/** The events of a task or session as a readable log: messages, tool calls, outputs, permissions, results. */
export function EventTimeline({ events, empty }: { events: MissionEvent[]; empty: string }) {
  const lines = events.flatMap((event) => {
    const line = describeEvent(event);
    return line ? [{ ...line, seq: event.seq, at: event.at }] : [];
  });
  if (lines.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ol class="timeline">
    ${lines.map(
      (line) => html`<li key=${line.seq} class=${`event event-${line.kind}`}>
        <div class="event-head"><span>${line.title}</span><time>${formatTime(line.at)}</time></div>
        ${line.body === undefined ? null : html`<pre>${line.body}</pre>`}
      </li>`,
    )}
  </ol>`;
}
