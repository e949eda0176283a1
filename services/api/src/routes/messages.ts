import type { CoreRuntime } from '@mission/core';
import { messageInputSchema, sessionMessageSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['sessions'];

export const messageRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.post(
    '/v1/sessions/:id/messages',
    {
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Send a message to a session: typed in as a prompt naming the sender once the session is idle',
        description:
          'Queued while the session works, delivered (oldest first) as soon as it is idle. Returns the message at once (queued or delivered), or with waitForReply its reply (status answered). 409 when the session has ended; 504 when no reply came within timeoutMs; 503 when the API shuts down meanwhile (the message goes on: read it for its reply).',
        params: idParams,
        body: messageInputSchema,
        response: { 200: sessionMessageSchema, ...errors, 409: errorResponseSchema, 503: errorResponseSchema, 504: errorResponseSchema },
      },
    },
    async (request) => core.messages.send(request.params.id, request.body, request.caller),
  );

  app.get(
    '/v1/sessions/:id/messages',
    {
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary: 'Messages a session sent or received, oldest first',
        params: idParams,
        response: { 200: z.object({ messages: z.array(sessionMessageSchema) }), ...errors },
      },
    },
    async (request) => {
      await core.access.readSession(request.caller, request.params.id);
      return { messages: await core.messages.list(request.params.id) };
    },
  );
};
