import type { CoreRuntime } from '@mission/core';
import { apiTokenSchema, tokenCreateSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['tokens'];

export const tokenRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.post(
    '/v1/tokens',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create an API token (its secret is in this answer only)',
        body: tokenCreateSchema,
        response: { 201: z.object({ token: z.string(), info: apiTokenSchema }), 400: errorResponseSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await core.tokens.create(request.body, request.caller.label)),
  );

  app.get(
    '/v1/tokens',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'List API tokens (never their secrets)', response: { 200: z.object({ tokens: z.array(apiTokenSchema) }) } },
    },
    async () => ({ tokens: await core.tokens.list() }),
  );

  app.post(
    '/v1/tokens/:id/revoke',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Revoke an API token', params: idParams, response: { 200: apiTokenSchema, ...errors } },
    },
    async (request) => core.tokens.revoke(request.params.id, request.caller.label),
  );
};
