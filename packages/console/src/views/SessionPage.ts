import { answeredInWords, howToGetPast } from '@mission/contracts/sessionHelp';
import { html } from 'htm/preact';
import { api } from '../api/client.ts';
import type { Session } from '../api/types.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { EventTimeline } from '../components/EventTimeline.ts';
import { LiveTerminal } from '../components/LiveTerminal.ts';
import { StateBadge } from '../components/StateBadge.ts';
import { formatUsd } from '../format.ts';
import { useAction } from '../hooks/useAction.ts';
import { useEventStream } from '../hooks/useEventStream.ts';
import { useStickToBottom } from '../hooks/useStickToBottom.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const ENDED = new Set(['exited', 'lost']);

/** One session: its live terminal, and beside it the conversation parsed from its events. */
export function SessionPage({ id }: { id: string }) {
  const session = usePoll(() => api.get<Session>(`/v1/sessions/${encodeURIComponent(id)}`), 5_000, [id]);
  const stream = useEventStream(`/v1/sessions/${encodeURIComponent(id)}/events`);
  const conversation = useStickToBottom(stream.events.length);
  const end = useAction(async () => {
    if (!confirm(`End session ${id}? Its claude process and everything it started are stopped.`)) return;
    await api.post(`/v1/sessions/${encodeURIComponent(id)}/kill`);
    session.refresh();
  });
  // A lost or exited session goes on where it stopped; its stream, if it had ended, is followed again.
  const resume = useAction(async () => {
    if (!confirm(`Resume session ${id}? A worker restarts its claude with --resume.`)) return;
    await api.post(`/v1/sessions/${encodeURIComponent(id)}/resume`);
    session.refresh();
    if (stream.ended) stream.reopen();
  });
  // An option's key, or (to a question Claude asks) an answer in words.
  const answer = useAction(async (reply: { option: string } | { text: string }) => {
    await api.post(`/v1/sessions/${encodeURIComponent(id)}/answer`, reply);
    session.refresh();
  });
  // A screen a slash command opened (`/help`, `/cost`) offers nothing to pick: Esc, what interrupt presses, closes it.
  const close = useAction(async () => {
    await api.post(`/v1/sessions/${encodeURIComponent(id)}/interrupt`);
    session.refresh();
  });
  if (!session.data) return html`<${Pending} error=${session.error} />`;

  // The stream's latest state is newer than the last poll.
  const latest = [...stream.events].reverse();
  const state = (latest.find((e) => e.type === 'state')?.payload.state as string | undefined) ?? session.data.state;
  const title = latest.find((e) => e.type === 'title')?.payload.title as string | undefined;
  // What it has cost so far: its claude reports it while it runs (a `usage` event), newer than the last poll.
  const cost = (latest.find((e) => e.type === 'usage')?.payload.costUsd as number | undefined) ?? session.data.costUsd;
  const waiting = state === 'waiting_permission';
  const blocking = state === 'blocked' ? session.data.blocking : null;

  return html`<h1>Session <code>${id}</code> <${StateBadge} state=${state} /></h1>
    <p class="muted" data-testid="session-facts">
      slot ${session.data.slot} · worker ${session.data.ownerWorker ?? '—'} · ${session.data.driver} driver${cost === null ? '' : ` · cost ${formatUsd(cost)}`}${title ? ` · ${title}` : ''}
      ${waiting ? html` · <a href=${href({ view: 'approvals' })}>it waits for an approval →</a>` : null}
    </p>
    ${
      ENDED.has(state)
        ? html`<p><button type="button" disabled=${resume.busy} onClick=${() => resume.run()}>Resume</button></p>`
        : html`<p><button type="button" disabled=${end.busy} onClick=${() => end.run()}>End session</button></p>`
    }
    ${
      blocking
        ? html`<section class="blocking" data-testid="blocking">
          <h2>${blocking.kind === 'question' ? 'Claude asks' : blocking.kind === 'mcp_input' ? 'An MCP server asks for input' : `Claude Code asks (${blocking.kind})`}</h2>
          <pre>${blocking.text}</pre>
          ${blocking.options.map(
            (option) =>
              html`<button type="button" disabled=${answer.busy} onClick=${() => answer.run({ option: option.key })}>${option.key}. ${option.label}</button> `,
          )}
          ${
            answeredInWords(blocking)
              ? html`<form class="answer-in-words" onSubmit=${(event: SubmitEvent) => answerInWords(event, answer.run)}>
                  <label>Or in your own words <input name="text" required /></label>
                  <button type="submit" disabled=${answer.busy}>Answer</button>
                </form>`
              : null
          }
          ${
            blocking.kind === 'command_screen'
              ? html`<button type="button" disabled=${close.busy} onClick=${() => close.run()}>Close (Esc)</button>`
              : blocking.options.length === 0
                ? html`<p class="muted" data-testid="blocking-help">${howToGetPast(blocking)}</p>`
                : null
          }
        </section>`
        : null
    }
    <${ErrorMessage} error=${session.error ?? end.error ?? resume.error ?? answer.error ?? close.error} />
    <div class="session">
      ${
        ENDED.has(state)
          ? html`<p class="muted terminal-panel">The session has ended (${state}); its conversation is on the right.</p>`
          : html`<${LiveTerminal} sessionId=${id} cols=${session.data.cols} rows=${session.data.rows} />`
      }
      <section class="conversation" data-testid="conversation" ref=${conversation.ref} onScroll=${conversation.onScroll}>
        <h2>Conversation</h2>
        <${ErrorMessage} error=${stream.error} />
        <${EventTimeline} events=${stream.events} empty="Nothing said yet." earlier=${stream.earlier} onShowEarlier=${stream.showEarlier} />
      </section>
    </div>`;
}

/** Sends the answer typed into a question's form, in the person's own words. */
function answerInWords(event: SubmitEvent, send: (reply: { text: string }) => unknown): void {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const text = String(new FormData(form).get('text') ?? '').trim();
  if (text) void send({ text });
}
