import { type CoreRuntime, idempotentReplayHint, mayDecideApprovals } from '@mission/core';
import {
  BadRequestError,
  isTerminalTaskStatus,
  MissionError,
  taskInputSchema,
  taskListQuerySchema,
  taskReadSchema,
  taskSchema,
} from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { askerGoneSignal } from '../askerGone.ts';
import { AskStream } from '../askStream.ts';
import { toMissionError } from '../errorHandler.ts';
import { eventsRoute } from './events.ts';
import { askQuery, errorResponseSchema, errors, idempotencyHeaders, idParams } from './schemas.ts';

const tags = ['tasks'];

export const taskRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.post(
    '/v1/tasks',
    {
      config: { access: 'tasks:write' },
      schema: {
        tags,
        summary: 'Submit a task: runs the prompt on a slot in the background',
        headers: idempotencyHeaders,
        body: taskInputSchema,
        response: {
          200: taskSchema
            .extend({ replayed: z.literal(true), hint: z.string() })
            .describe('The task of this Idempotency-Key, replayed (header Idempotent-Replayed: true); nothing new runs'),
          202: taskSchema,
          ...errors,
          409: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const { task, created } = await core.tasks.submit(request.body, { idempotencyKey: key, caller: request.caller });
      if (created) return reply.status(202).send(task);
      return reply
        .header('idempotent-replayed', 'true')
        .status(200)
        .send({ ...task, replayed: true, hint: idempotentReplayHint(task, key!) });
    },
  );

  app.post(
    '/v1/ask',
    {
      config: { access: 'tasks:write' },
      schema: {
        tags,
        summary: 'Ask: runs the prompt and waits for the answer, up to timeoutMs',
        description:
          "A task that ends without an answer is an error with the task in details.task: failed 502 task_failed, timed_out 504 timeout, cancelled 409 task_cancelled. When the API shuts down meanwhile the ask answers 503 unavailable and its task goes on (details.taskId): read it, or ask again with the same Idempotency-Key to wait for it. A repeated Idempotency-Key replays its task (header Idempotent-Replayed: true). With `Accept: text/event-stream` the answer comes as Server-Sent Events: `task` (the task, once submitted: follow it, decide its approvals), then `answer` ({answer, task}) or `error` ({code, message, details}). With that stream, `?askerAnswers=true` has Claude's questions wait as approvals for the asker to answer (POST /v1/approvals/:id/approve with answers); else Claude is told at once that nobody can answer.",
        headers: idempotencyHeaders,
        querystring: askQuery,
        body: taskInputSchema,
        response: {
          200: z.object({ answer: z.string().nullable(), task: taskSchema }),
          ...errors,
          403: errorResponseSchema,
          409: errorResponseSchema,
          502: errorResponseSchema,
          503: errorResponseSchema,
          504: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const streamed = request.headers.accept?.includes('text/event-stream') === true;
      const { askerAnswers } = request.query;
      if (askerAnswers && !streamed)
        throw new BadRequestError(
          'askerAnswers=true needs the answer as a stream (Accept: text/event-stream): its `task` message names the task whose questions you answer',
        );
      if (askerAnswers && !mayDecideApprovals(request.caller))
        throw new MissionError(
          'forbidden',
          "askerAnswers=true needs a token that may decide approvals (approvals:write): the asker answers its task's questions by approving them",
        );
      const stream = streamed ? new AskStream(reply) : null;
      try {
        const task = await core.tasks.ask(request.body, {
          askerAnswers,
          idempotencyKey: request.headers['idempotency-key'],
          caller: request.caller,
          signal: askerGoneSignal(reply),
          onSubmitted: async ({ task: submitted, created }) => {
            if (stream) stream.submitted(submitted, !created);
            else if (!created) reply.header('idempotent-replayed', 'true');
          },
        });
        if (!stream) return { answer: task.result, task };
        stream.answered(task);
      } catch (error) {
        if (!stream?.opened) throw error;
        stream.failed(toMissionError(error, core.logger));
      }
      return reply;
    },
  );

  app.get(
    '/v1/tasks',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags,
        summary: 'List tasks, newest first',
        querystring: taskListQuerySchema,
        response: { 200: z.object({ tasks: z.array(taskSchema), nextCursor: z.string().nullable() }), 400: errorResponseSchema },
      },
    },
    async (request) => core.tasks.list(request.query),
  );

  app.get(
    '/v1/tasks/:id',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags,
        summary: 'Get a task; a running one lists the approvals it waits for',
        params: idParams,
        response: { 200: taskReadSchema, ...errors },
      },
    },
    async (request) => core.readTask(request.params.id, request.caller),
  );

  app.post(
    '/v1/tasks/:id/cancel',
    {
      config: { access: 'tasks:write' },
      schema: {
        tags,
        summary: 'Cancel a task; a running one is stopped within seconds',
        params: idParams,
        response: { 200: taskSchema, ...errors, 409: errorResponseSchema },
      },
    },
    async (request) => core.tasks.cancel(request.params.id),
  );

  eventsRoute(app, core, {
    kind: 'task',
    access: 'tasks:read',
    tags,
    summary: "Server-Sent Events: the task's stored events, then live ones until it ends",
    description:
      'Each SSE id is the event seq; reconnect with Last-Event-ID (or ?after=) to resume. An `end` event closes the stream. ?last=N: start at the last N stored events (not with ?after=). ?follow=false: only the events stored so far, then `end`.',
    isLast: (_id, event) => event.type === 'state' && isTerminalTaskStatus(event.payload.state),
  });
};
