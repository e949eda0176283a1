import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import type { Approval } from '../api/types.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { formatTime } from '../format.ts';
import { useAction } from '../hooks/useAction.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const REFRESH_MS = 2_000;

/** Tool uses waiting for a person: approve or deny each with one click; the agent goes on within a second. */
export function Approvals() {
  const pending = usePoll(() => api.get<{ approvals: Approval[] }>('/v1/approvals?status=pending'), REFRESH_MS, []);
  if (!pending.data) return html`<${Pending} error=${pending.error} />`;
  const approvals = pending.data.approvals;
  return html`<h1>Approvals</h1>
    <${ErrorMessage} error=${pending.error} />
    ${
      approvals.length === 0
        ? html`<p class="muted" data-testid="no-approvals">Nothing waits for an approval.</p>`
        : html`<ul class="approvals">${approvals.map((a) => html`<${ApprovalCard} key=${a.id} approval=${a} onDecided=${pending.refresh} />`)}</ul>`
    }`;
}

function ApprovalCard({ approval: a, onDecided }: { approval: Approval; onDecided: () => void }) {
  const [reason, setReason] = useState('');
  const owner = a.owner.kind === 'session' ? href({ view: 'session', id: a.owner.id }) : href({ view: 'task', id: a.owner.id });

  const decide = useAction(async (verdict: 'approve' | 'deny') => {
    await api.post(`/v1/approvals/${encodeURIComponent(a.id)}/${verdict}`, reason.trim() ? { reason: reason.trim() } : {});
    onDecided();
  });

  return html`<li class="card approval" data-approval=${a.id}>
    <h2>${a.tool} <span class="muted">wants permission</span></h2>
    <p>
      ${a.owner.kind} <a href=${owner}><code>${a.owner.id}</code></a> · slot ${a.slot} · role ${a.role}
      ${' · '}${a.rule ? html`rule <code>${a.rule}</code>` : 'no rule matched'} · asked ${formatTime(a.requestedAt)} · expires ${formatTime(a.expiresAt)}
    </p>
    <pre>${JSON.stringify(a.input, null, 2)}</pre>
    <div class="actions">
      <button type="button" class="approve" disabled=${decide.busy} onClick=${() => decide.run('approve')}>Approve</button>
      <button type="button" class="deny" disabled=${decide.busy} onClick=${() => decide.run('deny')}>Deny</button>
      <input placeholder="Reason (told to Claude when you deny)" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
    </div>
    <${ErrorMessage} error=${decide.error} />
  </li>`;
}
