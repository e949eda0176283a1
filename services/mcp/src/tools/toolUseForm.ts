import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/sdk/types.js';

/*
 * A tool use that a rule asks a person about (an approval of a task's tool use), as an MCP elicitation form put to
 * the person at the asker's client, and their form back as the decision. Pure. Accepted, the form's choice decides it
 * (a refusal with the reason Claude reads, if given); declined, it is refused; dismissed, nothing is decided (it
 * waits for someone else, or the approval window): a tool use is not let through, nor refused, by a closed form.
 */

/** The tool use waiting, as its `approval_requested` event tells it. */
export interface AskedToolUse {
  tool: string;
  input: unknown;
  rule?: string | null | undefined;
  why?: string | undefined;
}

/** How much of the tool's input the form's message shows. */
const INPUT_SHOWN_CHARS = 400;

/** The form that puts `use`, which a task's Claude on `slot` wants to make, to the person at the asker's client. */
export function toolUseForm(use: AskedToolUse, slot: string): ElicitRequestFormParams {
  const input = JSON.stringify(use.input) ?? '';
  const shown = input.length > INPUT_SHOWN_CHARS ? `${input.slice(0, INPUT_SHOWN_CHARS)}…` : input;
  const because = use.rule ? ` (the rule ${use.rule} asks a person)` : use.why ? ` (${use.why})` : '';
  return {
    mode: 'form',
    message: `Claude, working on your ask on slot ${slot}, wants to use ${use.tool}${because}: ${shown}. Allow it?`,
    requestedSchema: {
      type: 'object',
      properties: {
        decision: {
          type: 'string',
          title: 'Your decision',
          oneOf: [
            { const: 'allow', title: `Allow ${use.tool}` },
            { const: 'deny', title: `Refuse ${use.tool}` },
          ],
        },
        reason: { type: 'string', title: 'Why (if you refuse)', description: 'Claude reads it' },
      },
      required: ['decision'],
    },
  };
}

/** What the person's form comes to: allow, refuse (with the reason Claude reads), or nothing decided. */
export type ToolUseDecision = { allow: true } | { deny: string } | null;

/** The decision the person's form (`result`) makes on the tool use. */
export function toolUseDecisionOf(result: ElicitResult): ToolUseDecision {
  if (result.action === 'cancel') return null;
  if (result.action === 'decline') return { deny: 'The person at the asker refused it.' };
  const { decision, reason } = result.content ?? {};
  if (decision === 'allow') return { allow: true };
  const why = typeof reason === 'string' && reason.trim() !== '' ? `: ${reason.trim()}` : '.';
  return { deny: `The person at the asker refused it${why}` };
}
