import { type ClaudeQuestion, ConflictError, type MissionEvent, questionsAsked } from '@mission/contracts';
import { ElicitResultSchema, EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { decisionOf, questionsForm } from './questionForm.ts';
import type { ToolContext } from './tool.ts';

/** A question of the task waiting as an approval, as its `approval_requested` event or the pending list gives it. */
interface AskedApproval {
  approvalId: string;
  tool: string;
  input: unknown;
  expiresAt: string;
}

/**
 * While an ask waits, each question its task's Claude asks (an approval of its AskUserQuestion call) is put to the
 * person at the asker's MCP client as a form (elicitation), and their answers approve it — or their no denies it,
 * with a reason Claude reads. A question decided meanwhile by someone else (the console, `mission approve`), expired
 * or left by the task's end has its form withdrawn. Returns the stop, to call when the ask has its answer.
 */
export async function putQuestionsToAsker(context: ToolContext, task: { id: string; slot: string }): Promise<() => void> {
  const { core, caller } = context;
  const owner = { kind: 'task' as const, id: task.id };
  /** The forms out, by approval: each withdrawn when its approval is decided or the ask ends. */
  const forms = new Map<string, AbortController>();
  const seen = new Set<string>();
  let stopped = false;

  const put = (asked: AskedApproval) => {
    const questions = questionsAsked(asked);
    if (!questions || stopped || seen.has(asked.approvalId)) return;
    seen.add(asked.approvalId);
    const withdrawn = new AbortController();
    forms.set(asked.approvalId, withdrawn);
    void askPerson(context, asked, questions, task.slot, withdrawn.signal)
      .catch((error: unknown) => {
        if (withdrawn.signal.aborted) {
          core.logger.debug(
            { approvalId: asked.approvalId, reason: withdrawn.signal.reason },
            "the form put to the asker's person was withdrawn",
          );
          return;
        }
        core.logger.warn(
          { err: error, approvalId: asked.approvalId, taskId: task.id },
          "the asker's client did not answer Claude's question",
        );
      })
      .finally(() => forms.delete(asked.approvalId));
  };

  const unsubscribe = await core.subscriber.subscribe(core.events.channel(owner), (message) => {
    const event = JSON.parse(message) as MissionEvent;
    if (event.type === 'approval_requested') put(event.payload);
    else if (event.type === 'permission_decision' && event.payload.approvalId)
      forms.get(event.payload.approvalId)?.abort('decided elsewhere');
  });
  try {
    // A question asked before the subscription took hold (a warm agent can ask within milliseconds).
    for (const pending of await core.approvals.pendingFor(owner, caller))
      put({ approvalId: pending.id, tool: pending.tool, input: pending.input, expiresAt: pending.expiresAt });
  } catch (error) {
    unsubscribe();
    throw error;
  }

  return () => {
    stopped = true;
    unsubscribe();
    for (const form of forms.values()) form.abort('the ask ended');
  };
}

/** Puts one approval's questions to the person, up to its expiry, and decides it as their form says. */
async function askPerson(
  { core, caller, extra }: ToolContext,
  asked: AskedApproval,
  questions: ClaudeQuestion[],
  slot: string,
  withdrawn: AbortSignal,
): Promise<void> {
  const timeout = Date.parse(asked.expiresAt) - Date.now();
  if (timeout <= 0) return;
  // Clients on the MCP TypeScript SDK (Claude Code's too) ignore the withdrawal of a request whose id is 0, the first
  // one a session's server sends (modelcontextprotocol/typescript-sdk#2283): a ping goes first, so no form has that id.
  await extra.sendRequest({ method: 'ping' }, EmptyResultSchema, { signal: withdrawn, timeout });
  const result = await extra.sendRequest({ method: 'elicitation/create', params: questionsForm(questions, slot) }, ElicitResultSchema, {
    signal: withdrawn,
    timeout,
  });
  const decision = decisionOf(questions, result);
  try {
    if ('approve' in decision) await core.approvals.approve(asked.approvalId, { answers: decision.approve }, caller.label);
    else await core.approvals.deny(asked.approvalId, { reason: decision.deny }, caller.label);
  } catch (error) {
    // Decided by someone else, or expired, while the person filled the form in: theirs is the decision that holds.
    if (error instanceof ConflictError) return;
    throw error;
  }
}
