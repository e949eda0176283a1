import { type ClaudeQuestion, type DialogReply, questionsAsked } from '@mission/contracts/claudeQuestions';
import { authorOf } from '@mission/contracts/subagent';
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
  const questions = questionsAsked(a);
  const [drafts, setDrafts] = useState<Draft[]>(() => (questions ?? []).map(() => ({ picked: [], words: '' })));
  // Claude's question is approved with the answers (null until each question has one); any other tool use without.
  const replies = questions ? repliesOf(drafts) : undefined;
  const owner = a.owner.kind === 'session' ? href({ view: 'session', id: a.owner.id }) : href({ view: 'task', id: a.owner.id });

  const decide = useAction(async (verdict: 'approve' | 'deny') => {
    const said = reason.trim() ? { reason: reason.trim() } : {};
    const answered = verdict === 'approve' && replies ? { answers: replies } : {};
    await api.post(`/v1/approvals/${encodeURIComponent(a.id)}/${verdict}`, { ...said, ...answered });
    onDecided();
  });

  return html`<li class="card approval" data-approval=${a.id}>
    <h2>${questions ? `${authorOf(a)} asks` : html`${a.tool} <span class="muted">wants permission</span>`}</h2>
    <p>
      ${a.subagent ? `${authorOf(a)} of ` : ''}${a.owner.kind} <a href=${owner}><code>${a.owner.id}</code></a> · slot ${a.slot} · role ${a.role}
      ${' · '}${questions ? 'a question for a person' : a.rule ? html`rule <code>${a.rule}</code>` : 'no rule matched'} · asked ${formatTime(a.requestedAt)} · expires ${formatTime(a.expiresAt)}
    </p>
    ${
      questions
        ? questions.map(
            (question, i) =>
              html`<${QuestionField} key=${i} name=${`${a.id}-${i}`} question=${question} draft=${drafts[i]!}
                onChange=${(draft: Draft) => setDrafts((all) => all.map((each, j) => (j === i ? draft : each)))} />`,
          )
        : html`<pre>${JSON.stringify(a.input, null, 2)}</pre>`
    }
    <div class="actions">
      <button type="button" class="approve" disabled=${decide.busy || replies === null} onClick=${() => decide.run('approve')}>
        ${questions ? 'Answer' : 'Approve'}
      </button>
      <button type="button" class="deny" disabled=${decide.busy} onClick=${() => decide.run('deny')}>Deny</button>
      <input placeholder="Reason (told to Claude when you deny)" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
    </div>
    <${ErrorMessage} error=${decide.error} />
  </li>`;
}

/** One of Claude's questions: its options to pick (one, or any for a pick-any question), or an answer in the person's words. */
function QuestionField({
  name,
  question,
  draft,
  onChange,
}: {
  name: string;
  question: ClaudeQuestion;
  draft: Draft;
  onChange: (draft: Draft) => void;
}) {
  const pick = (index: number, checked: boolean) => {
    const others = question.multiSelect ? draft.picked.filter((each) => each !== index) : [];
    onChange({ ...draft, picked: checked ? [...others, index] : others });
  };
  return html`<fieldset class="question">
    <legend>${question.header ? html`<span class="badge">${question.header}</span> ` : ''}${question.question}</legend>
    ${question.options.map(
      (option, index) => html`<label>
        <input type=${question.multiSelect ? 'checkbox' : 'radio'} name=${name} checked=${draft.picked.includes(index)}
          onChange=${(e: Event) => pick(index, (e.target as HTMLInputElement).checked)} />
        ${option.label}${option.description ? html` <span class="muted">${option.description}</span>` : ''}
      </label>`,
    )}
    <label>Or in your own words <input value=${draft.words} onInput=${(e: Event) => onChange({ ...draft, words: (e.target as HTMLInputElement).value })} /></label>
  </fieldset>`;
}

/** A question's answer as the person gives it: the positions of the options picked (from 0), and their own words. */
interface Draft {
  picked: number[];
  words: string;
}

/**
 * The answers the API takes to approve Claude's question, one per question in order: the person's words when they gave
 * some, else the keys of the options picked (positions from 1, "1,3" for several); null until every question has one.
 */
function repliesOf(drafts: readonly Draft[]): DialogReply[] | null {
  const replies = drafts.map(({ picked, words }): DialogReply | null => {
    if (words.trim()) return { text: words.trim() };
    if (picked.length === 0) return null;
    return {
      option: picked
        .map((index) => index + 1)
        .sort((x, y) => x - y)
        .join(','),
    };
  });
  return replies.every((reply) => reply !== null) ? replies : null;
}
