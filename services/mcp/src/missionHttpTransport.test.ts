import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MissionHttpTransport } from './missionHttpTransport.ts';

const auth = { token: '', clientId: 'test', scopes: [] };
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * An MCP server with one tool, `hold`, that answers when `release` is called (`running` resolves once it has
 * started); served by a MissionHttpTransport on a plain Node server.
 */
async function serve() {
  const mcp = new McpServer({ name: 'test', version: '1.0.0' });
  const held = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  mcp.registerTool('hold', { description: 'answers when released' }, async () => {
    started.resolve();
    await held.promise;
    return { content: [{ type: 'text', text: 'released' }] };
  });
  const transport = new MissionHttpTransport({ sessionIdGenerator: randomUUID, immediateTools: new Set(['hold']) });
  await mcp.connect(transport);
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => void transport.handleRequest(request, response, text ? JSON.parse(text) : undefined, auth));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const opened = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
    }),
  });
  await opened.body?.cancel();
  const session = { ...headers, 'mcp-session-id': opened.headers.get('mcp-session-id') ?? '' };
  const callHold = (id: number) =>
    fetch(url, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hold' } }),
    });
  const close = async () => {
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { transport, callHold, release: () => held.resolve(), running: started.promise, close };
}

describe('MissionHttpTransport', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('answers a plain call as JSON once its tool has answered', async () => {
    const served = await serve();
    close = served.close;
    const answer = served.callHold(2);
    served.release();
    const response = await answer;
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'released' }] } });
  });

  it('answers a call still running when its session closes 404, as a request to a closed session', async () => {
    const served = await serve();
    close = served.close;
    const answer = served.callHold(3);
    await served.running;
    await served.transport.close();
    const response = await answer;
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: -32001, message: 'Session not found' } });
  });
});
