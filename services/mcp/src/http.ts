import { randomUUID } from 'node:crypto';
import type { CoreRuntime } from '@mission/core';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createMissionMcpServer } from './server.ts';

export const MCP_PATH = '/mcp';

/**
 * Streamable HTTP at `/mcp` in the API process: a POST with `initialize` opens an MCP session (its id
 * in the `Mcp-Session-Id` header); later POSTs, the GET notification stream and DELETE use it.
 */
export function mcpHttp(core: CoreRuntime): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    const sessions = new Map<string, { transport: StreamableHTTPServerTransport; close(): void }>();

    const handle = async (request: FastifyRequest, reply: FastifyReply) => {
      const id = request.headers['mcp-session-id'];
      let entry = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!entry) {
        if (id !== undefined || request.method !== 'POST' || !isInitializeRequest(request.body)) {
          const message = id === undefined ? 'start with an initialize request (no Mcp-Session-Id header yet)' : `unknown MCP session ${String(id)}: initialize again`;
          return reply.status(id === undefined ? 400 : 404).send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
        }
        entry = open();
      }
      reply.hijack();
      await entry.transport.handleRequest(request.raw, reply.raw, request.body);
    };

    const open = () => {
      const mcp = createMissionMcpServer(core);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, entry),
      });
      const entry = { transport, close: () => mcp.close() };
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        mcp.close();
      };
      void mcp.server.connect(transport);
      return entry;
    };

    app.post(MCP_PATH, handle);
    app.get(MCP_PATH, handle);
    app.delete(MCP_PATH, handle);
    // Before the server stops: its notification streams stay open until their transports close.
    app.addHook('preClose', async () => {
      for (const entry of sessions.values()) await entry.transport.close();
    });
  };
}
