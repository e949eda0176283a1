import { ConflictError, type MissionEvent, questionsAsked } from '@mission/contracts';
import { mayDecideApprovals } from '@mission/core';
import { ElicitResultSchema, EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { decisionOf, questionsForm } from './questionForm.ts';
import type { ToolContext } from './tool.ts';
import { type AskedToolUse, toolUseDecisionOf, toolUseForm } from './toolUseForm.ts';

/** An approval the task waits for, as its `approval_requested` event or the pending list gives it. */
interface AskedApproval extends AskedToolUse {
  approvalId: string;
  expiresAt: string;
}

/**
 * While an ask waits, each approval its task waits for is put to the person at the asker's MCP client as a form
 * (elicitation): Claude's questions (its AskUserQuestion), whose answers approve it — or whose no denies it, with a
 * reason Claude reads — and a tool use a rule asks a person about, allowed or refused as the form says (when the
 * asker's token may decide approvals, `approvals:write`; else it waits for someone who may). One decided
 * meanwhile by someone else (the console, `mission approve`), expired or left by the task's end has its form withdrawn.
 * Returns the stop, to call when the ask has its answer.
 */
export async function putApprovalsToAsker(context: ToolContext, task: { id: string; slot: string }): Promise<() => void> {
  const { core, caller } = context;
  const owner = { kind: 'task' as const, id: task.id };
  /** The forms out, by approval: each withdrawn when its approval is decided or the ask ends. */
  const forms = new Map<string, AbortController>();
  const seen = new Set<string>();
  let stopped = false;

  // A tool use is a person's to allow only with a token that may decide approvals; Claude's questions are the asker's to answer.
  const decidesToolUses = mayDecideApprovals(caller);
  const put = (asked: AskedApproval) => {
    if (stopped || seen.has(asked.approvalId) || (!decidesToolUses && !questionsAsked(asked))) return;
    seen.add(asked.approvalId);
    const withdrawn = new AbortController();
    forms.set(asked.approvalId, withdrawn);
    void askPerson(context, asked, task.slot, withdrawn.signal)
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
          "the asker's client did not answer the form of an approval",
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
      put({ approvalId: pending.id, tool: pending.tool, input: pending.input, rule: pending.rule, expiresAt: pending.expiresAt });
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

/** Puts one approval to the person as a form, up to its expiry, and decides it as their form says. */
async function askPerson({ core, caller, extra }: ToolContext, asked: AskedApproval, slot: string, withdrawn: AbortSignal): Promise<void> {
  const timeout = Date.parse(asked.expiresAt) - Date.now();
  if (timeout <= 0) return;
  // Clients on the MCP TypeScript SDK (Claude Code's too) ignore the withdrawal of a request whose id is 0, the first
  // one a session's server sends (modelcontextprotocol/typescript-sdk#2283): a ping goes first, so no form has that id.
  await extra.sendRequest({ method: 'ping' }, EmptyResultSchema, { signal: withdrawn, timeout });
  const questions = questionsAsked(asked);
  const form = questions ? questionsForm(questions, slot) : toolUseForm(asked, slot);
  const result = await extra.sendRequest({ method: 'elicitation/create', params: form }, ElicitResultSchema, {
    signal: withdrawn,
    timeout,
  });
  try {
    if (questions) {
      const decision = decisionOf(questions, result);
      if ('approve' in decision) await core.approvals.approve(asked.approvalId, { answers: decision.approve }, caller.label);
      else await core.approvals.deny(asked.approvalId, { reason: decision.deny }, caller.label);
      return;
    }
    const decision = toolUseDecisionOf(result);
    // A form dismissed decides nothing: the tool use waits for someone else, or its window.
    if (decision && 'allow' in decision) await core.approvals.approve(asked.approvalId, {}, caller.label);
    else if (decision) await core.approvals.deny(asked.approvalId, { reason: decision.deny }, caller.label);
  } catch (error) {
    // Decided by someone else, or expired, while the person filled the form in: theirs is the decision that holds.
    if (error instanceof ConflictError) return;
    throw error;
  }
}
