import { z } from 'zod';

export const slotIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-", starting with a letter or digit');

const cliArg = z.string().max(4_000);

/** A named agent configuration: what `claude` runs as, where and with which model. */
export const slotConfigSchema = z.strictObject({
  role: z.string().min(1).max(64).default('default'),
  description: z.string().max(2_000).default(''),
  cwd: z
    .string()
    .min(1)
    .max(4_096)
    .refine((cwd) => !cwd.includes('\u0000'), 'must not contain NUL (\\u0000) characters')
    .default('.'),
  model: z.string().min(1).max(128).optional(),
  args: z.array(cliArg).max(64).default([]),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.string().max(32_768)).default({}),
  /** Most tasks of this slot running at once across all workers (default: no limit of its own). */
  maxConcurrency: z.number().int().min(1).max(10_000).optional(),
  /**
   * Warm agents: this many `claude` processes kept started and waiting for their prompt, so a task of the
   * slot skips the CLI's cold start (each is used for one task, then replaced); one idle longer than
   * `idleSeconds` is ended and replaced by a fresh one. Absent: every task starts its CLI cold. See docs/warm-agents.md.
   */
  warmPool: z
    .strictObject({
      size: z.number().int().min(1).max(16),
      idleSeconds: z.number().int().min(10).max(86_400).default(600),
    })
    .optional(),
  /** Most this slot's tasks may cost in a UTC day, in USD; once spent, new tasks and sessions are refused until midnight UTC. */
  dailyBudgetUsd: z.number().positive().max(1_000_000).optional(),
  /**
   * Most an agent tree may cost, in USD: a session or task of this slot and everything it started (sessions,
   * tasks, their children). Once spent, the tree may start no more children; what runs goes on.
   */
  treeBudgetUsd: z.number().positive().max(1_000_000).optional(),
  /** `worktree`: each session runs in its own `git worktree` of the repository holding cwd, on a branch `mission/<session id>`. */
  workspace: z.enum(['none', 'worktree']).default('none'),
  /** With `workspace: worktree`: keep the worktree and its branch after the session ends (default: both are removed). */
  keepWorkspace: z.boolean().default(false),
  /**
   * A session of this slot whose worker is lost (kill -9, a machine gone) or drained (SIGTERM, a scale-down) is
   * resumed by itself on another worker with `claude --resume` (shared storage: docs/scaling.md). Default: it
   * stays `lost` until `POST /v1/sessions/:id/resume`.
   */
  autoResume: z.boolean().default(false),
});

export type SlotConfig = z.infer<typeof slotConfigSchema>;

/** A slot whose agent hit Claude's usage or rate limit: none of its tasks starts before `until`. */
export const slotPauseSchema = z.object({
  until: z.string(),
  /** What Claude Code said. */
  reason: z.string(),
  /** The task or session that hit the limit (its events tell the pause and the resume). */
  by: z.object({ kind: z.enum(['task', 'session']), id: z.string() }),
  since: z.string(),
});
export type SlotPause = z.infer<typeof slotPauseSchema>;

export const slotSchema = slotConfigSchema.extend({
  id: slotIdSchema,
  source: z.enum(['file', 'api']),
  /** The pause a usage limit put on it, while on; null otherwise. */
  pause: slotPauseSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type Slot = z.infer<typeof slotSchema>;

/** `slots.yaml`: a map from slot id to its config. */
export const slotsFileSchema = z.strictObject({
  slots: z.record(slotIdSchema, slotConfigSchema),
});
