import type { CoreRuntime } from '@mission/core';
import { slotConfigSchema, slotSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors, idParams } from './schemas.ts';

const tags = ['slots'];

export const slotRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/slots',
    {
      config: { access: 'tasks:read' },
      schema: { tags, summary: 'List slots', response: { 200: z.object({ slots: z.array(slotSchema) }) } },
    },
    async () => ({ slots: await core.slots.list() }),
  );

  app.get(
    '/v1/slots/:id',
    {
      config: { access: 'tasks:read' },
      schema: { tags, summary: 'Get a slot', params: idParams, response: { 200: slotSchema, ...errors } },
    },
    async (request) => core.slots.get(request.params.id),
  );

  app.put(
    '/v1/slots/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create or replace a slot (cwd must be absolute)',
        params: idParams,
        body: slotConfigSchema,
        response: { 200: slotSchema, ...errors },
      },
    },
    async (request) => core.slots.put(request.params.id, request.body, request.caller.label),
  );

  app.post(
    '/v1/slots/:id/resume',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "End a slot's usage-limit pause before its reset: its waiting tasks start at once",
        params: idParams,
        response: { 200: slotSchema, ...errors },
      },
    },
    async (request) => core.slots.resume(request.params.id, request.caller.label),
  );
};
