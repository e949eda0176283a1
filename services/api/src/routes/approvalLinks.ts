import type { ApprovalWithLink, CoreRuntime } from '@mission/core';
import { approvalDecisionSchema, approvalWithLinkSchema, type ClaudeQuestion, questionsAsked } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors } from './schemas.ts';

const tags = ['approvals'];
const tokenParams = z.object({ token: z.string().min(1).max(500) });
const linkErrors = { ...errors, 401: errorResponseSchema, 403: errorResponseSchema, 409: errorResponseSchema } as const;

/**
 * Signed approval links, for people without an API token: the link's HMAC token (one approval, until
 * it expires) is the credential. GET shows the request; its buttons POST the decision.
 */
export const approvalLinkRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/approvals/:token',
    { config: { access: 'public' }, schema: { tags, summary: 'The page an approval link opens', params: tokenParams } },
    async (request, reply) => reply.type('text/html; charset=utf-8').send(page(await core.approvals.fromLink(request.params.token))),
  );

  for (const verdict of ['approve', 'deny'] as const) {
    app.post(
      `/approvals/:token/${verdict}`,
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: `${verdict === 'approve' ? 'Approve' : 'Deny'} with a signed link (no API token needed)`,
          params: tokenParams,
          // No body at all is fine: a phone's one-tap action (ntfy's `http` action) POSTs nothing.
          body: approvalDecisionSchema.nullish(),
          response: { 200: approvalWithLinkSchema, ...linkErrors },
        },
      },
      async (request) => core.approvals.decideByLink(request.params.token, verdict, request.body),
    );
  }
};

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(approval: ApprovalWithLink): string {
  const pending = approval.status === 'pending';
  const questions = questionsAsked(approval);
  const title = questions ? 'Claude asks' : `${escape(approval.tool)} wants permission`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Mission approval: ${escape(approval.tool)}</title>
<style>body{font:16px system-ui;max-width:48rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}button{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}fieldset{margin:1rem 0}label{display:block;margin:.25rem 0}</style>
</head><body>
<h1>${title}</h1>
<p>Slot <b>${escape(approval.slot)}</b>, role <b>${escape(approval.role)}</b>, ${escape(approval.owner.kind)} <code>${escape(approval.owner.id)}</code>.
${questions ? '' : `Rule: <code>${escape(approval.rule ?? 'none matched')}</code>. `}Requested ${escape(approval.requestedAt)}, expires ${escape(approval.expiresAt)}.</p>
${questions ? questionsForm(questions, pending) : `<pre>${escape(JSON.stringify(approval.input, null, 2))}</pre>`}
<p id="status">Status: <b>${escape(approval.status)}</b>${approval.decidedBy ? ` by ${escape(approval.decidedBy)}` : ''}</p>
${pending ? `<p><input id="reason" placeholder="Reason (told to Claude if you deny)" size="50"></p><button data-verdict="approve">${questions ? 'Answer' : 'Approve'}</button><button data-verdict="deny">Deny</button>` : ''}
<script>
// Claude's question: one answer per question, in order: the words typed, else the options picked.
const answers = () => [...document.querySelectorAll('fieldset')].map((question) => {
  const text = question.querySelector('input[type=text]').value.trim();
  if (text) return { text };
  return { option: [...question.querySelectorAll('input:checked')].map((input) => input.value).join(',') };
});
for (const button of document.querySelectorAll('button')) button.onclick = async () => {
  const reason = document.getElementById('reason').value.trim();
  const asked = document.querySelector('fieldset') && button.dataset.verdict === 'approve';
  const decision = { ...(reason ? { reason } : {}), ...(asked ? { answers: answers() } : {}) };
  const res = await fetch(location.pathname + '/' + button.dataset.verdict, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(decision) });
  const body = await res.json();
  document.getElementById('status').textContent = res.ok ? 'Status: ' + body.status : body.error.message;
  if (res.ok) for (const b of document.querySelectorAll('button')) b.disabled = true;
};
</script>
</body></html>`;
}

/** Claude's questions, each with its options (boxes where several may be picked) and a field for an answer in words. */
function questionsForm(questions: ClaudeQuestion[], pending: boolean): string {
  return questions
    .map(({ question, header, options, multiSelect }, i) => {
      const type = multiSelect ? 'checkbox' : 'radio';
      const choices = options
        .map(
          (option, key) =>
            `<label><input type="${type}" name="q${i}" value="${key + 1}"${pending ? '' : ' disabled'}> ${escape(option.label)}${option.description ? ` <small>${escape(option.description)}</small>` : ''}</label>`,
        )
        .join('');
      return `<fieldset><legend>${header ? `<b>${escape(header)}</b>: ` : ''}${escape(question)}</legend>${choices}<label>Or in your own words: <input type="text" size="40"${pending ? '' : ' disabled'}></label></fieldset>`;
    })
    .join('\n');
}
