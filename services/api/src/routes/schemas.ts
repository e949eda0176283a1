import { idempotencyKeySchema, MAX_EVENT_SEQ } from '@mission/contracts';
import { z } from 'zod';

export const errorResponseSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) })
  .describe('Every error: a code and a readable message');

export const idParams = z.object({ id: z.string().min(1).max(200) });

export const idempotencyHeaders = z.object({
  'idempotency-key': idempotencyKeySchema.optional().describe('Repeating a submit with the same key returns the first task'),
});

export const eventStreamQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().describe('Replay events after this seq (Last-Event-ID wins)'),
  last: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_EVENT_SEQ)
    .optional()
    .describe('Start at the last N stored events (not with ?after=; Last-Event-ID wins, as on a reconnect)'),
  follow: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true')
    .describe('false: only the events stored so far, then `end` (default true: live ones too, until the end)'),
});

export const askQuery = z.strictObject({
  askerAnswers: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe("true (with Accept: text/event-stream): Claude's questions wait as approvals for the asker to answer"),
});

export const errors = { 400: errorResponseSchema, 404: errorResponseSchema } as const;
