import { z } from 'zod';
import { blockingDialogSchema } from './schemas/sessions.ts';
import { subagentSchema } from './schemas/subagent.ts';

const usage = z.record(z.string(), z.unknown());

/** Payload of each event type; one model for everything a task or a session does. */
export const eventPayloadSchemas = {
  state: z.object({
    state: z.string(),
    reason: z.string().optional(),
    exitCode: z.number().int().nullable().optional(),
    signal: z.string().optional(),
    /** The session ended without anyone asking (its claude killed from outside, its worker lost): a resume is expected. */
    resumable: z.boolean().optional(),
    /** This `starting` is Mission resuming a lost session of an `autoResume` slot by itself, not a resume someone asked for. */
    autoResume: z.boolean().optional(),
    /**
     * A `blocked` by its slot's usage limit: whether the turn the limit stopped is still open (it goes on with one
     * `continue` once the slot takes work again) — told again when that turn ends meanwhile.
     */
    limitTurnOpen: z.boolean().optional(),
    /** A `blocked` session's dialog as every client is shown it (its row's `blocking`): what a person is told to do about it. */
    blocking: blockingDialogSchema.optional(),
  }),
  permission_request: z.object({
    tool: z.string(),
    input: z.unknown(),
    summary: z.string().optional(),
    options: z.array(z.object({ key: z.string(), label: z.string(), meaning: z.string().optional() })).default([]),
    subagent: subagentSchema.optional(),
  }),
  permission_decision: z.object({
    tool: z.string(),
    decision: z.enum(['allow', 'deny']),
    by: z.string(),
    rule: z.string().optional(),
    reason: z.string().optional(),
    approvalId: z.string().optional(),
  }),
  /** A `confirm` rule (or no rule) matched: the tool use waits for a person or the main agent. */
  approval_requested: z.object({
    approvalId: z.string(),
    tool: z.string(),
    input: z.unknown(),
    rule: z.string().nullable(),
    /** Why a person must decide when no rule says so (a part of a command no rule vouches for, Claude Code's own settings). */
    why: z.string().optional(),
    expiresAt: z.string(),
    /** A subagent's tool use waits (not Claude's own). */
    subagent: subagentSchema.optional(),
  }),
  tool_call: z.object({
    id: z.string().optional(),
    tool: z.string(),
    input: z.unknown(),
    summary: z.string().optional(),
    subagent: subagentSchema.optional(),
  }),
  tool_output: z.object({
    toolCallId: z.string().optional(),
    output: z.string(),
    isError: z.boolean().default(false),
    subagent: subagentSchema.optional(),
  }),
  /** A prompt submitted to a session, as its screen shows it: sent, delivered as a message, or typed in a terminal. */
  user_message: z.object({ text: z.string() }),
  assistant_message: z.object({ text: z.string(), subagent: subagentSchema.optional() }),
  status: z.object({
    text: z.string(),
    elapsedSeconds: z.number().optional(),
    tokens: z.number().optional(),
    interruptible: z.boolean().optional(),
  }),
  title: z.object({ title: z.string() }),
  /**
   * What Claude Code tells the person at its terminal (its Notification hook): `kind` is the CLI's notification
   * type, e.g. `permission_prompt` (a permission dialog has waited for them a while), `idle_prompt` (it has waited
   * for input a while), `elicitation_dialog`, `auth_success`. Mission's own: `command_output` (what a slash command
   * printed), `conversation_not_found` (a resume found no saved conversation to resume: a new one started),
   * `hooks_forbidden` (claude's settings forbid the hooks: the screen driver follows the session), `foreign_call` (a
   * process other than the agent's claude, holding its secret, called the worker's hooks or permission prompts: refused),
   * `task_notification` (a command Claude ran in the background has ended: the CLI tells Claude in a turn it starts by
   * itself, whose prompt is this notice, not the person's message).
   */
  notice: z.object({ kind: z.string(), text: z.string() }),
  result: z.object({
    text: z.string(),
    isError: z.boolean(),
    costUsd: z.number().nullable(),
    usage: usage.nullable(),
    durationMs: z.number().nullable(),
    numTurns: z.number().int().nullable(),
    claudeSessionId: z.string().nullable(),
  }),
  error: z.object({ code: z.string(), message: z.string() }),
  /** An interactive session's running cost and tokens by model, from its transcript (each time they grow). */
  usage: z.object({ costUsd: z.number(), usage }),
  /** A message between sessions (see session_messages): on the sender when it is sent … */
  message_sent: z.object({ messageId: z.string(), to: z.string(), text: z.string(), status: z.string() }),
  /** … on the target when it arrives (`from` is null for the operator) … */
  message_received: z.object({ messageId: z.string(), from: z.string().nullable(), text: z.string(), status: z.string() }),
  /** … and on both each time it moves on: delivered (typed into the target), answered (with the reply) or failed. */
  message_status: z.object({
    messageId: z.string(),
    status: z.string(),
    reply: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
  }),
  /** Claude hit a usage or rate limit here: its slot starts nothing new until `until` (on the task or session that hit it). */
  slot_paused: z.object({ slot: z.string(), until: z.string(), reason: z.string() }),
  /** The slot's pause ended (`by`: `reset`, its time came, or who resumed it early), on the task or session that paused it. */
  slot_resumed: z.object({ slot: z.string(), by: z.string() }),
} as const;

export type EventType = keyof typeof eventPayloadSchemas;

export const eventTypes = Object.keys(eventPayloadSchemas) as EventType[];
export type EventPayload<T extends EventType> = z.infer<(typeof eventPayloadSchemas)[T]>;

/** An event before it is stored: the type and its payload. */
export type MissionEventDraft = { [T in EventType]: { type: T; payload: EventPayload<T> } }[EventType];

export { MAX_EVENT_SEQ } from './vocabulary.ts';

export type OwnerKind = 'task' | 'session';
export interface EventOwner {
  kind: OwnerKind;
  id: string;
}

/** An event as stored and as delivered to subscribers: ordered per owner by `seq`. */
export type MissionEvent = MissionEventDraft & {
  ownerKind: OwnerKind;
  ownerId: string;
  seq: number;
  at: string;
};
