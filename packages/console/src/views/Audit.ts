import { auditKinds } from '@mission/contracts/auditKinds';
import { html } from 'htm/preact';
import { api, query } from '../api/client.ts';
import type { AuditEntry } from '../api/types.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { clip, formatTime } from '../format.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const REFRESH_MS = 5_000;

interface Filters {
  kind?: string;
  actor?: string;
  subject?: string;
}

/** The audit trail (`GET /v1/audit`), newest first, filtered by kind, actor and session or task (kept in the URL). */
export function Audit({ filters }: { filters: Filters }) {
  const { kind, actor, subject } = filters;
  const trail = usePoll(() => api.get<{ entries: AuditEntry[] }>(`/v1/audit${query({ kind, actor, subject, limit: 200 })}`), REFRESH_MS, [
    kind,
    actor,
    subject,
  ]);
  const filter = (change: Filters) => (location.hash = href({ view: 'audit', kind, actor, subject, ...change }));
  const typed = (name: keyof Filters) => (e: Event) => filter({ [name]: (e.target as HTMLInputElement).value.trim() || undefined });

  return html`<h1>Audit</h1>
    <form class="inline" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Kind
        <select name="kind" value=${kind ?? ''} onChange=${typed('kind')}>
          <option value="">any</option>
          ${auditKinds.map((k) => html`<option value=${k}>${k}</option>`)}
        </select>
      </label>
      <label>Actor <input name="actor" value=${actor ?? ''} placeholder="token:me, policy, link…" onChange=${typed('actor')} /></label>
      <label>Session or task <input name="subject" value=${subject ?? ''} placeholder="ses_… or task_…" onChange=${typed('subject')} /></label>
    </form>
    <${ErrorMessage} error=${trail.data ? trail.error : undefined} />
    ${trail.data ? html`<${AuditTable} entries=${trail.data.entries} />` : html`<${Pending} error=${trail.error} />`}`;
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return html`<p class="muted">Nothing in the trail matches.</p>`;
  const subjectLink = (id: string) => href(id.startsWith('ses_') ? { view: 'session', id } : { view: 'task', id });
  return html`<table data-testid="audit">
    <thead><tr><th>when</th><th>kind</th><th>actor</th><th>what</th><th>session / task</th><th>details</th></tr></thead>
    <tbody>
      ${entries.map(
        (e) => html`<tr key=${e.id} data-kind=${e.kind}>
          <td>${formatTime(e.at)}</td>
          <td>${e.kind}</td>
          <td><code>${e.actor}</code></td>
          <td><code>${e.target}</code></td>
          <td>${e.subject ? html`<a href=${subjectLink(e.subject)}><code>${e.subject}</code></a>` : '—'}</td>
          <td><code>${clip(JSON.stringify(e.details), 160)}</code></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
