import type { CoreRuntime } from '@mission/core';
import { coordinateInputSchema, coordinationSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { askerGoneSignal } from '../askerGone.ts';
import { errorResponseSchema, errors } from './schemas.ts';

export const coordinateRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.post(
    '/v1/coordinate',
    {
      config: { access: 'tasks:write' },
      schema: {
        tags: ['tasks'],
        summary: 'Run one subtask per slot in parallel towards a goal and wait for every result',
        description:
          'Creates a coordinating task (mode coordinate, slot = the first slot given) and one child task per slot (parentId = the coordination), run as a BullMQ flow. fail_fast cancels the other children at the first that does not succeed; collect_all lets them all run. The coordination fails when any child did not succeed. 504 when it takes longer than timeoutMs, 503 when the API shuts down meanwhile: it goes on either way (follow the coordinating task the error names).',
        body: coordinateInputSchema,
        response: { 200: coordinationSchema, ...errors, 503: errorResponseSchema, 504: errorResponseSchema },
      },
    },
    async (request, reply) => core.coordinations.coordinate(request.body, { caller: request.caller, signal: askerGoneSignal(reply) }),
  );
};
