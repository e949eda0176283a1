import { collectFleetMetrics, type CoreRuntime } from '@mission/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { prometheusContentType, prometheusText } from '../prometheus.ts';

/**
 * Prometheus scrapes with a bearer token (`authorization: credentials_file:` in its scrape config),
 * so `/metrics` needs `tasks:read` like the overview it mirrors: slot names and spend are not for
 * anyone who can reach the port.
 */
export const metricsRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/metrics',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags: ['fleet'],
        summary:
          'The fleet in the Prometheus text format: tasks, sessions, workers, queues, wait and run time, permission decisions, tokens, cost, budgets',
        produces: [prometheusContentType],
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => {
      const metrics = await collectFleetMetrics(core.database.db, { tasks: core.taskQueue, sessions: core.sessionQueue });
      return reply.type(prometheusContentType).send(await prometheusText(metrics));
    },
  );
};
