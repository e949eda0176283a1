import { z } from 'zod';

export const workerStates = ['active', 'draining', 'lost'] as const;
export type WorkerState = (typeof workerStates)[number];

/** A worker process as the registry knows it. */
export const workerSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** Tasks it runs at once. */
  capacity: z.number().int(),
  /** PTY sessions it holds at once. */
  maxSessions: z.number().int(),
  /** The slots whose tasks it takes; null = all. */
  slots: z.array(z.string()).nullable(),
  state: z.enum(workerStates),
  runningTasks: z.number().int(),
  liveSessions: z.number().int(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  /** Milliseconds since its last heartbeat, by the database clock. */
  heartbeatAgeMs: z.number().int(),
  lostAt: z.string().nullable(),
});
export type WorkerInfo = z.infer<typeof workerSchema>;

export const workerListQuerySchema = z.strictObject({ state: z.enum(workerStates).optional() });
