import type { CoreRuntime } from '@mission/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const overviewRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/overview',
    { config: { access: 'tasks:read' }, schema: { tags: ['fleet'], summary: 'Counts: tasks by status and slot, sessions by state and slot, per worker, queue depths' } },
    async () => core.overview(),
  );
};
