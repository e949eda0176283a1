import { z } from 'zod';
import { OPTION_KEYS, screenText, sessionDrivers, sessionStates, turnTimeoutMs } from '../vocabulary.ts';
import { slotIdSchema } from './slots.ts';

export { screenText, sessionDrivers, sessionStates };
export const sessionStateSchema = z.enum(sessionStates);
export type SessionState = z.infer<typeof sessionStateSchema>;

export const sessionIdSchema = z.string().regex(/^ses_[0-9a-z]+$/, 'a session id (ses_…)');

export const endedSessionStates: ReadonlySet<SessionState> = new Set(['exited', 'lost']);
export const isEndedSessionState = (state: string): boolean => endedSessionStates.has(state as SessionState);

export type SessionDriver = (typeof sessionDrivers)[number];

export const sessionSpawnSchema = z.strictObject({
  slot: slotIdSchema.default('default'),
  driver: z.enum(sessionDrivers).default('hooks'),
  /** Terminal size (default 120×40). */
  cols: z.number().int().min(40).max(500).default(120),
  rows: z.number().int().min(10).max(200).default(40),
  /** The session this one works for (an agent's own session is its children's parent without saying so). */
  parent: sessionIdSchema.optional(),
});
export type SessionSpawnInput = z.infer<typeof sessionSpawnSchema>;

/** How long a command waits for Claude's turn to end (`turnTimeoutMs`: default 5 min). */
const turnTimeout = z.number().int().min(turnTimeoutMs.min).max(turnTimeoutMs.max).optional();

export const sessionSendSchema = z.strictObject({
  text: z.string().trim().min(1, 'text must not be empty'),
  timeoutMs: turnTimeout,
});
export type SessionSendInput = z.infer<typeof sessionSendSchema>;

/** Answers to a permission dialog, by meaning rather than by the CLI's wording or numbering. */
export const confirmChoices = ['yes', 'yes_always', 'no'] as const;
/** `reason`, with a no only: what Claude is told about the refusal (as an approval's deny reason is). */
export const sessionConfirmSchema = z
  .strictObject({
    choice: z.enum(confirmChoices),
    reason: z.string().trim().min(1, 'reason must not be empty').max(2_000, 'reason must be at most 2,000 characters').optional(),
    timeoutMs: turnTimeout,
  })
  .refine((input) => input.reason === undefined || input.choice === 'no', {
    message: "a reason goes with choice 'no' only: it tells Claude why it may not",
    path: ['reason'],
  });
export type ConfirmChoice = (typeof confirmChoices)[number];

/** `mission_run` / `POST /v1/run`: one prompt in a temporary session. */
export const sessionRunSchema = z.strictObject({
  slot: slotIdSchema.default('default'),
  prompt: z.string().trim().min(1, 'prompt must not be empty'),
  timeoutMs: turnTimeout,
});
export type SessionRunInput = z.infer<typeof sessionRunSchema>;

export const sessionListQuerySchema = z.strictObject({
  state: sessionStateSchema.optional(),
  slot: slotIdSchema.optional(),
  /** Only the sessions this session (or task) started. */
  parent: z
    .string()
    .regex(/^(ses|task)_[0-9a-z]+$/, 'a session or task id (ses_… or task_…)')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
export type SessionListQuery = z.infer<typeof sessionListQuerySchema>;

export const sessionSchema = z.object({
  id: z.string(),
  slot: z.string(),
  state: sessionStateSchema,
  /** The session or task whose agent started this one, or the session an operator named; null for a top-level session. */
  parentId: z.string().nullable(),
  /** Started by mission_run for one prompt, and ended after the answer. */
  temporary: z.boolean(),
  ownerWorker: z.string().nullable(),
  claudeSessionId: z.string().nullable(),
  driver: z.enum(sessionDrivers),
  /** The dialog a `blocked` session shows, else null. */
  blocking: z.lazy(() => blockingDialogSchema).nullable(),
  /** With the slot's `workspace: worktree`: the branch of the session's own git worktree. */
  workspaceBranch: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  /** The signal that killed its claude ("SIGKILL"): then `exitCode` is null. */
  exitSignal: z.string().nullable(),
  /** Why it ended: killed on request, claude exited (with its error), its worker was lost or shut down, …; null while it runs. */
  exitReason: z.string().nullable(),
  /** What it has cost in all (USD), from the CLI's transcript; null until the CLI has reported it (at the latest when it exits). */
  costUsd: z.number().nullable(),
  /** Its tokens in all, as a task's usage names them (`input_tokens`, `output_tokens`, …); null with costUsd. */
  usage: z.record(z.string(), z.number()).nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
});
export type Session = z.infer<typeof sessionSchema>;

export const permissionDialogSchema = z.object({
  tool: z.string(),
  target: z.string(),
  question: z.string(),
  options: z.array(z.object({ key: z.string(), label: z.string(), meaning: z.string() })),
  selected: z.string().nullable(),
});
export type PermissionDialogView = z.infer<typeof permissionDialogSchema>;

/**
 * What keeps a session `blocked`: a question Claude Code asks before it will start, a state in which it cannot
 * answer, a screen of its own a slash command opened (`command_screen`: closed with Esc, what interrupt presses), or
 * a question Claude itself puts to the person (`question`: its AskUserQuestion tool, one question at a time, answered
 * with an option's key, several for a pick-any question, or in the person's own words), or an MCP server's request for
 * input (`mcp_input`: the request, then each field of its form, answered the same ways; or a page to open, accepted
 * or declined).
 */
export const blockingDialogKinds = [
  'question',
  'mcp_input',
  'trust_folder',
  'auto_mode_offer',
  'api_key',
  'login_required',
  'mcp_server_approval',
  'usage_limit',
  'command_screen',
  'unknown',
] as const;
export type BlockingDialogKind = (typeof blockingDialogKinds)[number];

/** A dialog the CLI shows that no hook reports, and the options that answer it. */
export const blockingDialogSchema = z.object({
  kind: z.enum(blockingDialogKinds),
  text: z.string(),
  options: z.array(z.object({ key: z.string(), label: z.string() })),
});
export type BlockingDialogView = z.infer<typeof blockingDialogSchema>;

/** The key of one of a dialog's options, or several keys separated by commas (a question that lets several be picked). */
export const answerOptionSchema = z
  .string()
  .regex(OPTION_KEYS, 'an option key such as "1" (or keys such as "1,3" for a question that takes several)');

/** The fields of an answer to a dialog: the key(s) of its options, or, for Claude's question, the person's own words. */
const replyFields = {
  option: answerOptionSchema.optional(),
  text: z.string().trim().min(1, 'text must not be empty').max(32_768, 'text must be at most 32,768 characters').optional(),
};
const oneReply = [
  (answer: { option?: string; text?: string }) => (answer.option === undefined) !== (answer.text === undefined),
  { message: "give either option (the key of one of the dialog's options) or text (an answer in your own words), not both" },
] as const;

/** One answer to one of Claude's questions: `option`, the key(s) of its options ("2", or "1,3" for a pick-any question), or `text`, in words. */
export const questionReplySchema = z.strictObject(replyFields).refine(...oneReply);
export type QuestionReplyInput = z.infer<typeof questionReplySchema>;

/**
 * `POST /v1/sessions/:id/answer`: what answers a blocked session's dialog. `option`: the key of one of its options (the
 * digit shown, or its position in a list without digits), or several keys separated by commas for a pick-any
 * `question`; `text`: an answer in the person's own words, for a `question` only.
 */
export const sessionAnswerSchema = z.strictObject({ ...replyFields, timeoutMs: turnTimeout }).refine(...oneReply);
export type SessionAnswerInput = z.infer<typeof sessionAnswerSchema>;

/** The approval a permission dialog waits for (its role says a person decides). */
export const pendingApprovalSchema = z.object({ id: z.string(), expiresAt: z.string() });
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;

/** What `send`, `confirm` and `interrupt` answer: where the session stands now. */
export const sessionTurnSchema = z.object({
  state: sessionStateSchema,
  /** The reply to the text sent (send), or the last response on screen. */
  response: z.string().nullable(),
  /** The open permission dialog, when the session stopped to ask. */
  dialog: permissionDialogSchema.nullable(),
  /** The approval that dialog waits for: decide it (approve/deny, or confirm the session). */
  approval: pendingApprovalSchema.extend({ url: z.string().optional() }).nullable(),
  /** Only while something keeps the session `blocked` (a question Claude asks, say): answer it with `POST /v1/sessions/:id/answer`. */
  blocking: blockingDialogSchema.optional(),
});
export type SessionTurn = z.infer<typeof sessionTurnSchema>;

export const sessionScreenSchema = z.object({
  state: sessionStateSchema,
  title: z.string(),
  lines: z.array(z.string()),
  cursor: z.object({ row: z.number().int(), col: z.number().int() }),
  dialog: permissionDialogSchema.nullable(),
  /** The dialog a `blocked` session shows. */
  blocking: blockingDialogSchema.nullable().optional(),
  status: z
    .object({ text: z.string(), elapsedSeconds: z.number().optional(), tokens: z.number().optional(), interruptible: z.boolean() })
    .nullable(),
});
export type SessionScreen = z.infer<typeof sessionScreenSchema>;

/** What an attached terminal sends (WebSocket text frames, relayed to the owning worker). */
export const attachInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input'), data: z.string().max(65_536) }),
  z.object({ type: z.literal('resize'), cols: z.number().int().min(20).max(500), rows: z.number().int().min(5).max(200) }),
]);
export type AttachInput = z.infer<typeof attachInputSchema>;
