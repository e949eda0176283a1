import { sessionDrivers } from '@mission/contracts/vocabulary';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { Session, Slot } from '../api/types.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { StateBadge } from '../components/StateBadge.ts';
import { formatTime, formatUsd } from '../format.ts';
import { useAction } from '../hooks/useAction.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const REFRESH_MS = 2_000;

/** Sessions, newest first, with their live state; a form starts a new one. */
export function Sessions() {
  const sessions = usePoll(() => api.get<{ sessions: Session[] }>('/v1/sessions'), REFRESH_MS, []);
  return html`<h1>Sessions</h1>
    <${NewSession} />
    <${ErrorMessage} error=${sessions.data ? sessions.error : undefined} />
    ${sessions.data ? html`<${SessionTable} sessions=${sessions.data.sessions} />` : html`<${Pending} error=${sessions.error} />`}`;
}

function SessionTable({ sessions }: { sessions: Session[] }) {
  if (sessions.length === 0) return html`<p class="muted">No sessions yet.</p>`;
  return html`<table data-testid="sessions">
    <thead><tr><th>session</th><th>slot</th><th>state</th><th>worker</th><th>cost</th><th>started</th><th>ended</th></tr></thead>
    <tbody>
      ${sessions.map(
        (s) => html`<tr key=${s.id}>
          <td><a href=${href({ view: 'session', id: s.id })}><code>${s.id}</code></a></td>
          <td>${s.slot}</td>
          <td><${StateBadge} state=${s.state} />${s.blocking ? html` <code>${s.blocking.kind}</code>` : ''}</td>
          <td>${s.ownerWorker ?? '—'}</td>
          <td class="num">${s.costUsd === null ? '—' : formatUsd(s.costUsd)}</td>
          <td>${formatTime(s.createdAt)}</td>
          <td>${s.endedAt ? `${formatTime(s.endedAt)}${s.exitSignal ? ` (${s.exitSignal})` : s.exitCode === null ? '' : ` (exit ${s.exitCode})`}` : '—'}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/**
 * Starts an interactive session on a slot and opens its page (the API answers once a worker has it); its driver is
 * how the worker follows the CLI: by its hooks (the default), or by its screen alone (a claude that runs no hooks).
 */
function NewSession() {
  const slots = usePoll(() => api.get<{ slots: Slot[] }>('/v1/slots'), 60_000, []);
  const [slot, setSlot] = useState('');
  const [driver, setDriver] = useState<string>('hooks');
  const start = useAction(async () => {
    const session = await api.post<Session>('/v1/sessions', { slot: slot || slots.data?.slots[0]?.id, driver });
    location.hash = href({ view: 'session', id: session.id });
  });
  const submit = (event: Event) => {
    event.preventDefault();
    void start.run();
  };

  return html`<form class="inline" onSubmit=${submit}>
    <label>Slot
      <select value=${slot} onChange=${(e: Event) => setSlot((e.target as HTMLSelectElement).value)}>
        ${(slots.data?.slots ?? []).map((s) => html`<option value=${s.id}>${s.id}</option>`)}
      </select>
    </label>
    <label>Driver
      <select value=${driver} onChange=${(e: Event) => setDriver((e.target as HTMLSelectElement).value)}>
        ${sessionDrivers.map((d) => html`<option value=${d}>${d}</option>`)}
      </select>
    </label>
    <button type="submit" disabled=${start.busy || !slots.data}>${start.busy ? 'Starting…' : 'New session'}</button>
    <${ErrorMessage} error=${start.error ?? slots.error} />
  </form>`;
}
