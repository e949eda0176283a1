import { html } from 'htm/preact';
import { api, query } from '../api/client.ts';
import type { Slot, TaskPage as TaskPageData } from '../api/types.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { StateBadge } from '../components/StateBadge.ts';
import { clip, formatTime, formatUsd } from '../format.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const REFRESH_MS = 3_000;

interface Filters {
  status?: string;
  slot?: string;
  cursor?: string;
}

/** Tasks, newest first, filtered by status and slot (kept in the URL), a page at a time. */
export function Tasks({ filters }: { filters: Filters }) {
  const { status, slot, cursor } = filters;
  const tasks = usePoll(() => api.get<TaskPageData>(`/v1/tasks${query({ status, slot, cursor })}`), REFRESH_MS, [status, slot, cursor]);
  const slots = usePoll(() => api.get<{ slots: Slot[] }>('/v1/slots'), 60_000, []);
  // A new filter starts again from the first page.
  const filter = (change: Filters) => (location.hash = href({ view: 'tasks', status, slot, ...change, cursor: undefined }));
  const pick = (name: keyof Filters) => (e: Event) => filter({ [name]: (e.target as HTMLSelectElement).value || undefined });

  return html`<h1>Tasks</h1>
    <form class="inline" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Status
        <select name="status" value=${status ?? ''} onChange=${pick('status')}>
          <option value="">any</option>
          ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      <label>Slot
        <select name="slot" value=${slot ?? ''} onChange=${pick('slot')}>
          <option value="">any</option>
          ${(slots.data?.slots ?? []).map((s) => html`<option value=${s.id}>${s.id}</option>`)}
        </select>
      </label>
    </form>
    <${ErrorMessage} error=${tasks.data ? tasks.error : undefined} />
    ${tasks.data ? html`<${TaskTable} page=${tasks.data} next=${href({ view: 'tasks', status, slot, cursor: tasks.data.nextCursor ?? undefined })} />` : html`<${Pending} error=${tasks.error} />`}`;
}

function TaskTable({ page, next }: { page: TaskPageData; next: string }) {
  if (page.tasks.length === 0) return html`<p class="muted">No tasks match.</p>`;
  return html`<table data-testid="tasks">
      <thead><tr><th>task</th><th>slot</th><th>status</th><th>prompt</th><th class="num">cost</th><th>submitted</th></tr></thead>
      <tbody>
        ${page.tasks.map(
          (t) => html`<tr key=${t.id}>
            <td><a href=${href({ view: 'task', id: t.id })}><code>${t.id}</code></a></td>
            <td>${t.slot}</td>
            <td><${StateBadge} state=${t.status} /></td>
            <td>${clip(t.prompt)}</td>
            <td class="num">${t.costUsd === null ? '—' : formatUsd(t.costUsd)}</td>
            <td>${formatTime(t.createdAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${page.nextCursor ? html`<p><a href=${next}>Older tasks →</a></p>` : null}`;
}
