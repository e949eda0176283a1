import { randomUUID } from 'node:crypto';
import type { ApiExtension } from '@mission/api';
import type { CoreRuntime } from '@mission/core';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createMissionMcpServer } from './server.ts';

export const MCP_PATH = '/mcp';

/**
 * Streamable HTTP at `/mcp` in the API process: a POST with `initialize` opens an MCP session (its id
 * in the `Mcp-Session-Id` header); later POSTs, the GET notification stream and DELETE use it.
 */
export function mcpHttp(core: CoreRuntime): ApiExtension {
  return async (app) => {
    const sessions = new Map<string, { transport: StreamableHTTPServerTransport; callerKey: string; close(): void }>();
    const refuse = (reply: FastifyReply, status: number, message: string) => reply.status(status).send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const id = request.headers['mcp-session-id'];
      let entry = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!entry) {
        if (id !== undefined || request.method !== 'POST' || !isInitializeRequest(request.body)) {
          const message = id === undefined ? 'start with an initialize request (no Mcp-Session-Id header yet)' : `unknown MCP session ${String(id)}: initialize again`;
          return refuse(reply, id === undefined ? 400 : 404, message);
        }
        entry = open(request.caller.key);
      }
      // An MCP session belongs to the token that opened it.
      if (entry.callerKey !== request.caller.key) return refuse(reply, 403, 'this MCP session was opened with another token');
      const raw = request.raw as typeof request.raw & { auth?: AuthInfo };
      raw.auth = { token: '', clientId: request.caller.label, scopes: [...request.caller.scopes], extra: { caller: request.caller } };
      reply.hijack();
      await entry.transport.handleRequest(raw, reply.raw, request.body);
    };

    const open = (callerKey: string) => {
      const mcp = createMissionMcpServer(core);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, entry),
      });
      const entry = { transport, callerKey, close: () => mcp.close() };
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        mcp.close();
      };
      void mcp.server.connect(transport);
      return entry;
    };

    // Any valid token opens a session; each tool then checks the scope it needs.
    const options = { config: { access: 'token' as const } };
    app.post(MCP_PATH, options, handle);
    app.get(MCP_PATH, options, handle);
    app.delete(MCP_PATH, options, handle);
    // Before the server stops: its notification streams stay open until their transports close.
    app.addHook('preClose', async () => {
      for (const entry of sessions.values()) await entry.transport.close();
    });
  };
}
