import { type Subagent, subagentNamed } from '@mission/contracts';
import { z } from 'zod';

/**
 * What Claude Code posts to a hook, for the events Mission listens to (the fields it relies on; the CLI
 * sends more). Recorded from each CLI version tested: tests/fixtures/claude/<version>/hooks/. Not `SessionStart`: the
 * CLI runs no HTTP hook for it ("HTTP hooks are not supported for SessionStart"), and it runs before the
 * prompt takes input anyway (notifications.json), so the screen tells when the CLI is ready.
 */
/**
 * `prompt_id` names the turn a call belongs to (the prompt that started it); the transcript's records carry it as
 * `promptId`. `agent_id` and `agent_type` are there when a subagent's work calls the hook (its tool uses, its end).
 */
const common = {
  session_id: z.string(),
  transcript_path: z.string().optional(),
  cwd: z.string().optional(),
  prompt_id: z.string().optional(),
  agent_id: z.string().optional(),
  agent_type: z.string().optional(),
};
const toolInput = z.record(z.string(), z.unknown());

export const hookInputSchema = z.discriminatedUnion('hook_event_name', [
  z.looseObject({ ...common, hook_event_name: z.literal('UserPromptSubmit'), prompt: z.string() }),
  z.looseObject({
    ...common,
    hook_event_name: z.literal('PreToolUse'),
    tool_name: z.string(),
    tool_input: toolInput,
    tool_use_id: z.string(),
  }),
  z.looseObject({
    ...common,
    hook_event_name: z.literal('PermissionRequest'),
    tool_name: z.string(),
    tool_input: toolInput,
    permission_suggestions: z.array(z.unknown()).optional(),
  }),
  z.looseObject({
    ...common,
    hook_event_name: z.literal('PostToolUse'),
    tool_name: z.string(),
    tool_input: toolInput,
    tool_use_id: z.string(),
    tool_response: z.unknown(),
  }),
  z.looseObject({ ...common, hook_event_name: z.literal('Notification'), message: z.string(), notification_type: z.string().optional() }),
  z.looseObject({ ...common, hook_event_name: z.literal('Stop'), last_assistant_message: z.string().nullable().optional() }),
  // The turn ended on a failed model request instead of Stop (`error`: the CLI's kind, e.g. `server_error`, `overloaded`,
  // `rate_limit`; `last_assistant_message`: the error as the CLI shows it).
  z.looseObject({
    ...common,
    hook_event_name: z.literal('StopFailure'),
    error: z.string(),
    error_details: z.string().optional(),
    last_assistant_message: z.string().nullable().optional(),
  }),
  // A subagent ended (the `Agent` tool's, or the CLI's own, such as /compact's summary, whose `agent_type` is empty).
  z.looseObject({
    ...common,
    hook_event_name: z.literal('SubagentStop'),
    last_assistant_message: z.string().nullable().optional(),
    /** Where the agent's own transcript is (its messages and tool results; 2.1.332). */
    agent_transcript_path: z.string().optional(),
  }),
  z.looseObject({ ...common, hook_event_name: z.literal('SessionEnd'), reason: z.string().optional() }),
  // An MCP server asks the person for input (elicitation): `form` mode carries the fields, `url` mode a page to open.
  z.looseObject({
    ...common,
    hook_event_name: z.literal('Elicitation'),
    mcp_server_name: z.string(),
    message: z.string(),
    mode: z.string().optional(),
    requested_schema: z.unknown().optional(),
    url: z.string().optional(),
  }),
]);
export type HookInput = z.infer<typeof hookInputSchema>;
export type HookEventName = HookInput['hook_event_name'];
export type HookInputOf<E extends HookEventName> = Extract<HookInput, { hook_event_name: E }>;

/** The events a session's settings hook. */
export const HOOKED_EVENTS: readonly HookEventName[] = hookInputSchema.options.map((option) => option.shape.hook_event_name.value);

/** The subagent whose work called the hook, if one's did (the conversation's own calls carry no `agent_id`). */
export function subagentOf(input: HookInput): Subagent | undefined {
  return subagentNamed(input.agent_id, input.agent_type);
}

export function parseHookInput(value: unknown): HookInput {
  return hookInputSchema.parse(value);
}

/** Lets the tool use go on as the CLI would decide it (no decision). */
export const NO_DECISION = {};

/**
 * The answer to a PermissionRequest: the CLI skips its dialog. An allow carries the tool's input back (`updatedInput`,
 * completed with the answers to Claude's questions): Claude Code 2.1.332 takes an allow without it, for a tool that
 * needs its person (ExitPlanMode), for no answer and shows its own dialog, which then waits for keys. It may keep the
 * rule for the session (`updatedPermissions`: the request's own suggestions). A deny's message is what Claude reads,
 * and `interrupt` stops its turn too.
 */
export function permissionAnswer(
  decision:
    | { behavior: 'allow'; updatedInput: Record<string, unknown>; updatedPermissions?: unknown[] }
    | { behavior: 'deny'; message: string; interrupt?: boolean },
): object {
  return { hookSpecificOutput: { hookEventName: 'PermissionRequest', decision } };
}

/** The answer to an Elicitation: the person's form (`accept` with its content; a page to open: `accept` alone), or a no (`decline`, `cancel`). */
export function elicitationAnswer(
  result: { action: 'accept'; content?: Record<string, string | number | boolean | string[]> } | { action: 'decline' | 'cancel' },
): object {
  return { hookSpecificOutput: { hookEventName: 'Elicitation', ...result } };
}

/** The answer to a PreToolUse that refuses the tool use (it holds even against `--allowedTools`); Claude reads the reason. */
export function preToolUseDenial(reason: string): object {
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } };
}
