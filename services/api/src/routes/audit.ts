import type { CoreRuntime } from '@mission/core';
import { auditEntrySchema, auditQuerySchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema } from './schemas.ts';

export const auditRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'The audit trail, newest first: permission decisions, approvals, receipts, role, slot, token and subscription changes',
        description:
          'Filters: since / until (ISO times), actor (exact: token:<name>, policy, link, file:<path>, …), subject (a session or task id), kind (comma-separated), limit.',
        querystring: auditQuerySchema,
        response: { 200: z.object({ entries: z.array(auditEntrySchema) }), 400: errorResponseSchema },
      },
    },
    async (request) => core.audit.list(request.query),
  );
};
