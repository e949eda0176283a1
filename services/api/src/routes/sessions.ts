import { type CoreRuntime, runInTemporarySession } from '@mission/core';
import {
  isEndedSessionState,
  sessionConfirmSchema,
  sessionAnswerSchema,
  sessionListQuerySchema,
  sessionRunSchema,
  sessionSchema,
  sessionScreenSchema,
  screenText,
  sessionSendSchema,
  sessionSpawnSchema,
  sessionTurnSchema,
} from '@mission/contracts';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventsRoute } from './events.ts';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['sessions'];
const commandErrors = { ...errors, 409: errorResponseSchema, 504: errorResponseSchema } as const;

export const sessionRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  /** A command on a session (its screen too) is for those who may command it: the same policy as MCP's tools. */
  const mayCommand = async (request: FastifyRequest<{ Params: { id: string } }>) =>
    core.access.commandSession(request.caller, request.params.id);

  app.post(
    '/v1/sessions',
    {
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Start an interactive Claude Code session on a slot (in a PTY on some worker)',
        body: sessionSpawnSchema,
        response: { 201: sessionSchema, ...errors, 503: errorResponseSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await core.sessions.spawn(request.body, { caller: request.caller })),
  );

  app.post(
    '/v1/run',
    {
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Run one prompt in a temporary session: spawn, send, wait for the answer, end the session',
        description: "The session is ended whatever happens (an error or a timeout too); its events and Claude Code's transcript are kept.",
        body: sessionRunSchema,
        response: {
          200: z.object({ session: sessionSchema, response: z.string().nullable() }),
          ...commandErrors,
          503: errorResponseSchema,
        },
      },
    },
    async (request) => runInTemporarySession(core, request.body, request.caller),
  );

  app.get(
    '/v1/sessions',
    {
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary: 'List sessions, newest first',
        querystring: sessionListQuerySchema,
        response: { 200: z.object({ sessions: z.array(sessionSchema) }), 400: errorResponseSchema },
      },
    },
    async (request) => ({ sessions: await core.sessions.list(request.query, { caller: request.caller }) }),
  );

  app.get(
    '/v1/sessions/:id',
    {
      config: { access: 'sessions:read' },
      schema: { tags, summary: 'Get a session', params: idParams, response: { 200: sessionSchema, ...errors } },
    },
    async (request) => {
      const session = await core.sessions.get(request.params.id);
      await core.access.readSession(request.caller, session.id);
      return session;
    },
  );

  app.post(
    '/v1/sessions/:id/send',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Type a message, submit it, and wait for the reply',
        description:
          'Returns when Claude is idle again (with the reply) or stops to ask permission (with the dialog). 409 while it is busy or asking; 504 when the reply takes longer than timeoutMs.',
        params: idParams,
        body: sessionSendSchema,
        response: { 200: sessionTurnSchema, ...commandErrors },
      },
    },
    async (request) => core.approvals.turnFor(await core.sessions.send(request.params.id, request.body), request.caller),
  );

  app.post(
    '/v1/sessions/:id/confirm',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Answer the open permission dialog: yes, yes_always or no',
        description: 'Picks the option with that meaning, checks the dialog closed, and waits for the turn to end.',
        params: idParams,
        body: sessionConfirmSchema,
        response: { 200: sessionTurnSchema, ...commandErrors },
      },
    },
    async (request) =>
      core.approvals.turnFor(await core.sessions.confirm(request.params.id, request.body, request.caller.label), request.caller),
  );

  app.post(
    '/v1/sessions/:id/answer',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Answer the dialog a blocked session shows (folder trust, login, …) with one of its options',
        description: 'Presses the option key once and waits until the screen no longer shows the dialog.',
        params: idParams,
        body: sessionAnswerSchema,
        response: { 200: sessionTurnSchema, ...commandErrors },
      },
    },
    async (request) => core.sessions.answer(request.params.id, request.body),
  );

  app.post(
    '/v1/sessions/:id/interrupt',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Interrupt what Claude is doing (or close a screen a slash command opened) and wait for the prompt',
        params: idParams,
        response: { 200: sessionTurnSchema, ...commandErrors },
      },
    },
    async (request) => core.approvals.turnFor(await core.sessions.interrupt(request.params.id), request.caller),
  );

  app.get(
    '/v1/sessions/:id/screen',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:read' },
      schema: {
        tags,
        summary: 'The screen: as text (default), or as JSON with the parsed state, dialog and status',
        params: idParams,
        querystring: z.strictObject({ format: z.enum(['text', 'json']).default('text') }),
        response: { 200: z.union([sessionScreenSchema, z.string()]), ...commandErrors },
      },
    },
    async (request, reply) => {
      const screen = await core.sessions.screen(request.params.id);
      if (request.query.format === 'json') return screen;
      return reply.type('text/plain; charset=utf-8').send(screenText(screen));
    },
  );

  app.post(
    '/v1/sessions/:id/kill',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'End the session (its claude process and everything it started); with cascade=true, every session under it first',
        params: idParams,
        querystring: z.strictObject({
          cascade: z
            .enum(['true', 'false'])
            .default('false')
            .transform((value) => value === 'true'),
        }),
        response: { 200: sessionSchema, ...commandErrors },
      },
    },
    async (request) => core.sessions.kill(request.params.id, request.query),
  );

  app.post(
    '/v1/sessions/:id/resume',
    {
      preHandler: mayCommand,
      config: { access: 'sessions:write' },
      schema: {
        tags,
        summary: 'Restart a lost (or exited) session on a worker with `claude --resume`: the conversation goes on',
        description:
          "Keeps the session's id and events; needs the slot's cwd and Claude Code's transcripts (~/.claude) on the worker that takes it. 409 unless the session has ended.",
        params: idParams,
        response: { 200: sessionSchema, ...commandErrors, 503: errorResponseSchema },
      },
    },
    async (request) => core.sessions.resume(request.params.id),
  );

  eventsRoute(app, core, {
    kind: 'session',
    access: 'sessions:read',
    tags,
    summary: "Server-Sent Events: the session's stored events, then live ones until it ends",
    description:
      'Each SSE id is the event seq; reconnect with Last-Event-ID (or ?after=) to resume. An `exited` or `lost` that a resume followed, or that one is expected to follow (`resumable`: a loss, a claude killed from outside), does not end the stream. ?last=N: start at the last N stored events (not with ?after=). ?follow=false: only the events stored so far, then `end`.',
    // An end that a resume is expected to follow (a loss, a claude killed from outside) does not end the stream,
    // nor does one a resume did follow: the stream ends at the last end, the one the session was left at.
    isLast: async (id, event) =>
      event.type === 'state' &&
      isEndedSessionState(event.payload.state) &&
      event.payload.resumable !== true &&
      (await core.events.list(id, event.seq, { limit: 1 })).length === 0,
  });
};
