import { z } from 'zod';
import { slotIdSchema } from './slots.ts';
import { type Task, taskSchema, timeoutMsSchema } from './tasks.ts';

export const failurePolicies = ['fail_fast', 'collect_all'] as const;
export type FailurePolicy = (typeof failurePolicies)[number];

export const coordinateInputSchema = z.strictObject({
  goal: z.string().trim().min(1, 'goal must not be empty'),
  /** One subtask per slot, run in parallel; the first slot (in the order given) is the coordinating task's slot. */
  tasks: z
    .record(slotIdSchema, z.string().trim().min(1, 'a subtask must not be empty'))
    .refine((tasks) => Object.keys(tasks).length > 0, 'give at least one slot → subtask')
    .refine((tasks) => Object.keys(tasks).length <= 20, 'at most 20 subtasks'),
  /** fail_fast: the first child that does not succeed cancels the rest; collect_all: every child runs to its end. */
  failurePolicy: z.enum(failurePolicies).default('fail_fast'),
  /** How long the call waits for the whole coordination (each child has it as its own timeout too). */
  timeoutMs: timeoutMsSchema.optional(),
});
export type CoordinateInput = z.infer<typeof coordinateInputSchema>;

export const childResultSchema = z.object({
  taskId: z.string(),
  status: z.string(),
  result: z.string().nullable(),
  error: z.string().nullable(),
});
export type ChildResult = z.infer<typeof childResultSchema>;

export const coordinationSchema = z.object({ coordination: taskSchema, results: z.record(z.string(), childResultSchema) });
export interface Coordination {
  coordination: Task;
  results: Record<string, ChildResult>;
}

/** What a coordination comes to once its children have ended: the parent job records it on the coordinating task. */
export interface CoordinationOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  error: string | null;
  results: Record<string, ChildResult>;
}

/**
 * Both policies fail the coordination when any child did not succeed (naming the first to end, then the
 * others) and succeed when all did; they differ in whether the others are cancelled meanwhile. A
 * coordination whose cancel was asked for is `cancelled` unless every child had succeeded anyway.
 */
export function coordinationOutcome(
  children: readonly { slot: string; child: ChildResult; finishedAt: Date | null }[],
  options: { cancelRequested?: boolean } = {},
): CoordinationOutcome {
  const results = Object.fromEntries(children.map(({ slot, child }) => [slot, child]));
  const unsuccessful = children
    .filter(({ child }) => child.status !== 'succeeded')
    .sort((a, b) => (a.finishedAt?.getTime() ?? Infinity) - (b.finishedAt?.getTime() ?? Infinity));
  if (unsuccessful.length === 0) return { status: 'succeeded', error: null, results };
  const named = unsuccessful.map(({ slot, child }) => `${slot} (${child.taskId}) ${child.status}${child.error ? `: ${child.error}` : ''}`);
  const summary = `${unsuccessful.length} of ${children.length} subtasks did not succeed: ${named.join('; ')}`;
  if (options.cancelRequested) return { status: 'cancelled', error: `cancelled on request; ${summary}`, results };
  return { status: 'failed', error: summary, results };
}
