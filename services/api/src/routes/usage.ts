import { type CoreRuntime, usageReport } from '@mission/core';
import { usageReportSchema } from '@mission/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const usageRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/usage',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags: ['fleet'],
        summary:
          'Cost and tokens per slot and in all: today (UTC; tasks submitted today, cost and tokens of the tasks that ended today) and since the start, with each slot\'s daily budget',
        response: { 200: usageReportSchema },
      },
    },
    async () => usageReport(core.database.db),
  );
};
