import type { CoreRuntime } from '@mission/core';
import { ccOverviewSchema, ccSessionListSchema, ccSessionQuerySchema, ccTodoSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['claude code records'];

/** Claude Code's own records (its transcripts and task lists) as every active worker reports them. */
export const ccRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/cc/sessions',
    {
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary:
          'Claude Code sessions found in the CLI transcripts on every active worker, newest first; `workers` says which workers answered',
        querystring: ccSessionQuerySchema,
        response: { 200: ccSessionListSchema, 400: errorResponseSchema },
      },
    },
    async (request) => core.cc.sessions(request.query),
  );

  app.get(
    '/v1/cc/sessions/:id/tasks',
    {
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary: "A Claude Code session's task list (TaskCreate/TaskUpdate) with each task's status",
        params: idParams,
        response: { 200: z.object({ session: z.string(), workerId: z.string(), todos: z.array(ccTodoSchema) }), ...errors },
      },
    },
    async (request) => core.cc.todos(request.params.id),
  );

  app.get(
    '/v1/cc/overview',
    {
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary: 'Counts of Claude Code sessions, sessions in progress and tasks by status, in all and per worker',
        response: { 200: ccOverviewSchema },
      },
    },
    async () => core.cc.overview(),
  );

  app.get(
    '/v1/cc/in-progress',
    {
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary: 'Claude Code sessions whose last turn waits for the model (a prompt or tool result without an answer yet)',
        response: { 200: ccSessionListSchema },
      },
    },
    async () => core.cc.inProgress(),
  );
};
