import type { CoreRuntime } from '@mission/core';
import { actionRequestForOwnerSchema, approvalSchema, receiptListQuerySchema, receiptSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['receipts'];

/** The gate over REST: what agents do with mission_request_approval / mission_log_action, on behalf of a session or task. */
export const receiptRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.post(
    '/v1/receipts/request',
    {
      config: { access: 'approvals:write' },
      schema: {
        tags,
        summary: 'Ask for an action of a class for a session or task: gated classes raise an approval, auto ones are recorded',
        body: actionRequestForOwnerSchema,
        response: { 201: z.object({ receipt: receiptSchema, approval: approvalSchema.nullable() }), ...errors },
      },
    },
    async (request, reply) => {
      const { owner, ...action } = request.body;
      return reply.status(201).send(await core.receipts.request(owner, action, request.caller.label));
    },
  );

  app.post(
    '/v1/receipts/log',
    {
      config: { access: 'approvals:write' },
      schema: {
        tags,
        summary: 'Record an action a session or task took (a receipt, decided "logged")',
        body: actionRequestForOwnerSchema,
        response: { 201: receiptSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { owner, ...action } = request.body;
      return reply.status(201).send(await core.receipts.log(owner, action, request.caller.label));
    },
  );

  app.get(
    '/v1/receipts',
    {
      config: { access: 'approvals:read' },
      schema: {
        tags,
        summary: 'Receipts, newest first (?owner=<session or task>)',
        querystring: receiptListQuerySchema,
        response: { 200: z.object({ receipts: z.array(receiptSchema) }), 400: errorResponseSchema },
      },
    },
    async (request) => ({ receipts: await core.receipts.list(request.query) }),
  );

  app.get(
    '/v1/receipts/:id',
    {
      config: { access: 'approvals:read' },
      schema: { tags, summary: "A receipt, by its id or its approval's", params: idParams, response: { 200: receiptSchema, ...errors } },
    },
    async (request) => core.receipts.get(request.params.id, request.caller),
  );
};
