import { z } from 'zod';
import { approvalWithLinkSchema } from './approvals.ts';
import { slotIdSchema } from './slots.ts';
import { jsonBytes, MAX_METADATA_BYTES } from '../jsonLimits.ts';
import { taskPriority } from '../vocabulary.ts';

export const taskStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export const taskStatusSchema = z.enum(taskStatuses);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

export const terminalTaskStatuses: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
export const isTerminalTaskStatus = (status: string): boolean => terminalTaskStatuses.has(status as TaskStatus);

export const taskModes = ['submit', 'ask', 'coordinate'] as const;
export type TaskMode = (typeof taskModes)[number];

export const taskRetryPolicies = ['never', 'safe'] as const;
export type TaskRetryPolicy = (typeof taskRetryPolicies)[number];

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** How long a call or a task may run: one second to a day. */
export const timeoutMsSchema = z
  .number()
  .int()
  .min(1_000)
  .max(24 * 3_600_000);

/** Limits that depend on config (prompt size, timeouts) are checked by the task service. */
export const taskInputSchema = z.strictObject({
  slot: slotIdSchema.default('default'),
  prompt: z.string().trim().min(1, 'prompt must not be empty'),
  /** 0 (lowest) … 100 (highest); higher runs first. */
  priority: z.number().int().min(taskPriority.min).max(taskPriority.max).default(taskPriority.default),
  timeoutMs: timeoutMsSchema.optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((value) => jsonBytes(value) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES / 1024} KB as JSON`)
    .optional(),
  /**
   * When the worker running it dies after the prompt reached Claude: 'never' (default) fails the task
   * with `worker_lost`; 'safe' (the task may run twice) runs it again, up to `maxAttempts` runs in all.
   * Before the prompt reached Claude a task is always run again.
   */
  retry: z.enum(taskRetryPolicies).default('never'),
  maxAttempts: z.number().int().min(1).max(10).default(3),
});
export type TaskInput = z.infer<typeof taskInputSchema>;
export type TaskInputDraft = z.input<typeof taskInputSchema>;

export const usageSchema = z.record(z.string(), z.unknown());

export const taskSchema = z.object({
  id: z.string(),
  slot: z.string(),
  mode: z.enum(taskModes),
  status: taskStatusSchema,
  prompt: z.string(),
  priority: z.number().int(),
  timeoutMs: z.number().int(),
  result: z.string().nullable(),
  error: z.string().nullable(),
  costUsd: z.number().nullable(),
  usage: usageSchema.nullable(),
  durationMs: z.number().int().nullable(),
  numTurns: z.number().int().nullable(),
  claudeSessionId: z.string().nullable(),
  workerId: z.string().nullable(),
  /** The session or task whose agent submitted it, or the coordinating task it is a subtask of; null otherwise. */
  parentId: z.string().nullable(),
  retry: z.enum(taskRetryPolicies),
  maxAttempts: z.number().int(),
  attempts: z.number().int(),
  idempotencyKey: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type Task = z.infer<typeof taskSchema>;

/** A task as one reads it by its id: while it runs, with the approvals it waits for (a tool use, or Claude's question). */
export const taskReadSchema = taskSchema.extend({
  pendingApprovals: z
    .array(approvalWithLinkSchema)
    .optional()
    .describe(
      "While the task runs: what it waits for, oldest first. Decide each with POST /v1/approvals/:id/approve or /deny; Claude's question (tool AskUserQuestion) is approved with answers. Absent when it waits for nothing.",
    ),
});
export type TaskRead = z.infer<typeof taskReadSchema>;

export const taskListQuerySchema = z.strictObject({
  status: taskStatusSchema.optional(),
  slot: slotIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(200).optional(),
});
export type TaskListQuery = z.infer<typeof taskListQuerySchema>;
