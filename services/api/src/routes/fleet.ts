import type { CoreRuntime } from '@mission/core';
import { workerListQuerySchema, workerSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors } from './schemas.ts';

const tags = ['fleet'];

const queueDepthSchema = z.object({
  name: z.string(),
  waiting: z.number().int(),
  prioritized: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  failed: z.number().int(),
  backlog: z.number().int().describe('jobs waiting for a worker (waiting + prioritized): what autoscaling watches'),
  live: z
    .number()
    .int()
    .optional()
    .describe('sessions queue only: the sessions workers hold now (not exited or lost), which keep their workers up'),
});

export const fleetRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/overview',
    {
      config: { access: 'tasks:read' },
      schema: { tags, summary: 'Counts: tasks by status and slot, sessions by state and slot, per worker, queue depths' },
    },
    async () => core.overview(),
  );

  app.get(
    '/v1/workers',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags,
        summary: 'The worker registry: each worker with its capacity, slots, state (active, draining, lost), load and last heartbeat',
        querystring: workerListQuerySchema,
        response: { 200: z.object({ workers: z.array(workerSchema) }), 400: errorResponseSchema },
      },
    },
    async (request) => ({ workers: await core.workers(request.query) }),
  );

  app.get(
    '/v1/queues/:name',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags,
        summary: "A queue's depth by job state ('tasks' or 'sessions'); `backlog` is what KEDA scales workers on",
        params: z.strictObject({ name: z.string().max(64) }),
        response: { 200: queueDepthSchema, ...errors },
      },
    },
    async (request) => core.queueDepth(request.params.name),
  );
};
