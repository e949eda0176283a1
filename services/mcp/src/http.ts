import { randomUUID } from 'node:crypto';
import type { ApiExtension } from '@mission/api';
import type { CoreRuntime } from '@mission/core';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdleTimer } from './idleTimer.ts';
import { MissionHttpTransport } from './missionHttpTransport.ts';
import { rebindingPolicy, rebindingRefusal } from './rebinding.ts';
import { createMissionMcpServer } from './server.ts';
import { immediateTools } from './tools.ts';

export const MCP_PATH = '/mcp';

interface McpSession {
  transport: MissionHttpTransport;
  /** The token that opened it: only that token may use it. */
  callerKey: string;
  idle: IdleTimer;
}

/**
 * Streamable HTTP at `/mcp` in the API process: a POST with `initialize` opens an MCP session (its id
 * in the `Mcp-Session-Id` header); later POSTs, the GET notification stream and DELETE use it. A
 * session ends on DELETE, or after MISSION_MCP_SESSION_TTL_MS with no request and no stream open
 * (clients that just go away never send the DELETE); its id then answers 404, as the spec says.
 * Requests under a name or from a web page Mission does not know are refused (DNS rebinding).
 * A request that will send nothing but its answer, at once, is answered as JSON, the others as an
 * event stream (`MissionHttpTransport`).
 */
export function mcpHttp(core: CoreRuntime): ApiExtension {
  return async (app) => {
    const sessions = new Map<string, McpSession>();
    // The calls being answered (a POST's response until it closes): the shutdown lets them answer first.
    const answering = new Set<Promise<void>>();
    const refuse = (reply: FastifyReply, status: number, message: string) =>
      reply.status(status).send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
    const policy = rebindingPolicy(core.config);

    const guard = async (request: FastifyRequest, reply: FastifyReply) => {
      const refusal = rebindingRefusal(policy, { host: request.headers.host, origin: request.headers.origin });
      if (!refusal) return;
      core.logger.warn({ host: request.headers.host, origin: request.headers.origin }, 'MCP request refused by the DNS rebinding guard');
      return refuse(reply, 403, refusal);
    };

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const id = request.headers['mcp-session-id'];
      let session = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!session) {
        if (id !== undefined || request.method !== 'POST' || !isInitializeRequest(request.body)) {
          const message =
            id === undefined
              ? 'start with an initialize request (no Mcp-Session-Id header yet)'
              : `unknown MCP session ${String(id)}: initialize again`;
          return refuse(reply, id === undefined ? 400 : 404, message);
        }
        session = open(request.caller.key);
      }
      // An MCP session belongs to the token that opened it.
      if (session.callerKey !== request.caller.key) return refuse(reply, 403, 'this MCP session was opened with another token');
      const authInfo = { token: '', clientId: request.caller.label, scopes: [...request.caller.scopes], extra: { caller: request.caller } };
      reply.raw.once('close', session.idle.begin());
      if (request.method === 'POST') {
        const answered = new Promise<void>((resolve) => reply.raw.once('close', resolve));
        answering.add(answered);
        void answered.then(() => answering.delete(answered));
      }
      reply.hijack();
      await session.transport.handleRequest(request.raw, reply.raw, request.body, authInfo);
    };

    const open = (callerKey: string): McpSession => {
      const mcp = createMissionMcpServer(core);
      const transport: MissionHttpTransport = new MissionHttpTransport({
        immediateTools,
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, session),
      });
      const idle = new IdleTimer(core.config.mcpSessionTtlMs, () => {
        core.logger.info({ mcpSession: transport.sessionId, idleMs: core.config.mcpSessionTtlMs }, 'MCP session expired');
        void transport
          .close()
          .catch((error: unknown) =>
            core.logger.warn({ err: error, mcpSession: transport.sessionId }, 'closing an expired MCP session failed'),
          );
      });
      const session: McpSession = { transport, callerKey, idle };
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        idle.stop();
        mcp.close();
      };
      void mcp.server.connect(transport);
      return session;
    };

    // Any valid token opens a session; each tool then checks the scope it needs.
    const options = { config: { access: 'token' as const }, onRequest: guard };
    app.post(MCP_PATH, options, handle);
    app.get(MCP_PATH, options, handle);
    app.delete(MCP_PATH, options, handle);
    // Before the server stops: its notification streams stay open until their transports close. The calls in flight are
    // answered first, as the REST API's are: the API's own preClose, before this one, has ended the core's long waits
    // (an ask answers that the API shuts down and its task goes on), and closing their session would lose that answer.
    app.addHook('preClose', async () => {
      await Promise.all(answering);
      for (const session of sessions.values()) await session.transport.close();
    });
  };
}
