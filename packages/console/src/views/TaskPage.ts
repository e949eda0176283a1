import { html } from 'htm/preact';
import { api } from '../api/client.ts';
import type { TaskRead } from '../api/types.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { EventTimeline } from '../components/EventTimeline.ts';
import { StateBadge } from '../components/StateBadge.ts';
import { formatTime, formatUsd } from '../format.ts';
import { useAction } from '../hooks/useAction.ts';
import { useEventStream } from '../hooks/useEventStream.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/** One task: what was asked, its result or error, its figures, and its event timeline as it happens. */
export function TaskPage({ id }: { id: string }) {
  const path = `/v1/tasks/${encodeURIComponent(id)}`;
  const task = usePoll(() => api.get<TaskRead>(path), 2_000, [id]);
  const stream = useEventStream(`${path}/events`);
  const cancel = useAction(async () => {
    await api.post(`${path}/cancel`);
    task.refresh();
  });
  if (!task.data) return html`<${Pending} error=${task.error} />`;
  const t = task.data;

  const waiting = (t.pendingApprovals?.length ?? 0) > 0;

  return html`<h1>Task <code>${id}</code> <${StateBadge} state=${t.status} /></h1>
    ${waiting ? html`<p class="muted"><a href=${href({ view: 'approvals' })}>it waits for an approval →</a></p>` : null}
    <${ErrorMessage} error=${task.error ?? cancel.error} />
    ${FINISHED.has(t.status) ? null : html`<p><button type="button" disabled=${cancel.busy} onClick=${() => cancel.run()}>Cancel task</button></p>`}
    <dl class="facts">
      <dt>slot</dt><dd>${t.slot}</dd>
      <dt>worker</dt><dd>${t.workerId ?? '—'}</dd>
      <dt>submitted</dt><dd>${formatTime(t.createdAt)}</dd>
      <dt>started</dt><dd>${formatTime(t.startedAt)}</dd>
      <dt>finished</dt><dd>${formatTime(t.finishedAt)}</dd>
      <dt>cost</dt><dd>${t.costUsd === null ? '—' : formatUsd(t.costUsd)}</dd>
      <dt>duration</dt><dd>${t.durationMs === null ? '—' : `${(t.durationMs / 1000).toFixed(1)} s`}</dd>
      <dt>turns · attempts</dt><dd>${t.numTurns ?? '—'} · ${t.attempts}</dd>
    </dl>
    <h2>Prompt</h2>
    <pre>${t.prompt}</pre>
    ${t.result === null ? null : html`<h2>Result</h2><pre data-testid="result">${t.result}</pre>`}
    ${t.error === null ? null : html`<h2>Error</h2><pre class="error">${t.error}</pre>`}
    <h2>Events</h2>
    <${ErrorMessage} error=${stream.error} />
    <${EventTimeline} events=${stream.events} empty="No events yet." earlier=${stream.earlier} onShowEarlier=${stream.showEarlier} />`;
}
