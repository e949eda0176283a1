import type { CoreRuntime } from '@mission/core';
import { approvalDecisionSchema, approvalListQuerySchema, approvalWithLinkSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['approvals'];
const decisionErrors = { ...errors, 409: errorResponseSchema } as const;

export const approvalRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/approvals',
    {
      config: { access: 'approvals:read' },
      schema: {
        tags,
        summary: 'List approvals, newest first (?status=pending for the ones waiting)',
        description: 'Each carries its signed link (`url`) only for callers with approvals:write: the link decides it without a token.',
        querystring: approvalListQuerySchema,
        response: { 200: z.object({ approvals: z.array(approvalWithLinkSchema) }), 400: errorResponseSchema },
      },
    },
    async (request) => ({ approvals: await core.approvals.list(request.query, request.caller) }),
  );

  app.get(
    '/v1/approvals/:id',
    {
      config: { access: 'approvals:read' },
      schema: { tags, summary: 'Get an approval', params: idParams, response: { 200: approvalWithLinkSchema, ...errors } },
    },
    async (request) => core.approvals.get(request.params.id, request.caller),
  );

  for (const verdict of ['approve', 'deny'] as const) {
    app.post(
      `/v1/approvals/:id/${verdict}`,
      {
        config: { access: 'approvals:write' },
        schema: {
          tags,
          summary:
            verdict === 'approve'
              ? 'Approve: the tool use goes ahead'
              : 'Deny: the tool use is refused (the reason is passed on to Claude)',
          description: 'The session or task waiting on it hears within a second. 409 when it was already decided or expired.',
          params: idParams,
          body: approvalDecisionSchema.optional(),
          response: { 200: approvalWithLinkSchema, ...decisionErrors },
        },
      },
      async (request) => core.approvals[verdict](request.params.id, request.body, request.caller.label),
    );
  }
};
