import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const SESSION_TTL_MS = 1_000;

const initialize = (id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
});

/** A POST to /mcp with the Host and Origin a browser would send (fetch does not let a caller set Host). */
function post(
  system: TestSystem,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL('/mcp', system.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

describe('/mcp over HTTP, with auth off as `npm start` runs it', () => {
  let system: TestSystem;
  let port: string;

  beforeAll(async () => {
    system = await startTestSystem({
      inProcessWorker: false,
      env: {
        MISSION_AUTH: 'off',
        MISSION_MCP_SESSION_TTL_MS: String(SESSION_TTL_MS),
        MISSION_MCP_ALLOWED_HOSTS: 'mission.internal',
        MISSION_MCP_ALLOWED_ORIGINS: 'https://inspector.example.com',
      },
    });
    port = new URL(system.url).port;
  });
  afterAll(async () => {
    await system?.close();
  });

  describe('DNS rebinding', () => {
    it('a page on a rebound name opens no session and submits nothing', async () => {
      const attack = await post(system, initialize(), { host: 'evil.example.com', origin: 'http://evil.example.com' });
      expect(attack.status).toBe(403);
      expect(attack.headers['mcp-session-id']).toBeUndefined();
      expect(JSON.parse(attack.body)).toMatchObject({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32000,
          message: expect.stringMatching(/not served under the name 'evil\.example\.com'.*MISSION_MCP_ALLOWED_HOSTS/),
        },
      });

      const submit = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'mission_submit', arguments: { prompt: 'rebound' } } };
      expect((await post(system, submit, { host: `evil.example.com:${port}`, origin: 'http://evil.example.com' })).status).toBe(403);
      expect((await system.core.tasks.list({})).tasks).toEqual([]);
    });

    it('a page from a foreign origin is refused under a good name too', async () => {
      const refused = await post(system, initialize(), { host: `127.0.0.1:${port}`, origin: 'http://evil.example.com' });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error.message).toMatch(/web pages from http:\/\/evil\.example\.com .*MISSION_MCP_ALLOWED_ORIGINS/);
    });

    it('local names, the configured name and origins, and clients without an Origin open sessions', async () => {
      for (const headers of <Record<string, string>[]>[
        { host: `localhost:${port}`, origin: `http://localhost:${port}` },
        { host: `127.0.0.1:${port}` },
        { host: `mission.internal:${port}` },
        { host: `localhost:${port}`, origin: 'https://inspector.example.com' },
      ]) {
        const opened = await post(system, initialize(), headers);
        expect(opened.status, JSON.stringify(headers)).toBe(200);
        expect(opened.headers['mcp-session-id'], JSON.stringify(headers)).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('answers', () => {
    const open = async () => {
      const opened = await post(system, initialize(), { host: `127.0.0.1:${port}` });
      return {
        host: `127.0.0.1:${port}`,
        'mcp-session-id': String(opened.headers['mcp-session-id']),
        'mcp-protocol-version': '2025-06-18',
      };
    };
    const slots = (id: number, meta?: Record<string, unknown>) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'mission_slots', arguments: {}, ...(meta ? { _meta: meta } : {}) },
    });

    it('a request that will send nothing but its answer is answered as one JSON response of its session', async () => {
      const session = await open();
      const answer = await post(system, slots(2), session);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers['mcp-session-id']).toBe(session['mcp-session-id']);
      expect(JSON.parse(answer.body)).toMatchObject({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text' }] } });
      expect(JSON.parse((await post(system, { jsonrpc: '2.0', id: 3, method: 'ping' }, session)).body)).toEqual({
        jsonrpc: '2.0',
        id: 3,
        result: {},
      });
    });

    it('a call that asked for progress is answered as an event stream, which carries its answer', async () => {
      const session = await open();
      const answer = await post(system, slots(4, { progressToken: 'p' }), session);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/event-stream');
      const [event] = answer.body.split('\n').filter((line) => line.startsWith('data: '));
      expect(JSON.parse(event!.slice('data: '.length))).toMatchObject({ jsonrpc: '2.0', id: 4, result: { content: [{ type: 'text' }] } });
    });

    it('a session ended by DELETE answers its next request 404', async () => {
      const session = await open();
      const ended = await fetch(new URL('/mcp', system.url), { method: 'DELETE', headers: session });
      expect(ended.status).toBe(200);
      const answer = await post(system, slots(5), session);
      expect(answer.status).toBe(404);
    });
  });

  describe('idle sessions', () => {
    const connect = async () => {
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', system.url));
      const client = new Client({ name: 'idle-test', version: '1.0.0' });
      await client.connect(transport);
      return { client, sessionId: transport.sessionId! };
    };
    const ping = (sessionId: string) =>
      post(
        system,
        { jsonrpc: '2.0', id: 7, method: 'ping' },
        { host: `127.0.0.1:${port}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      );
    /** Watches the API's log for the line each expiry writes. */
    const expiries = () => {
      const logged = vi.spyOn(system.core.logger, 'info');
      return {
        has: (sessionId: string) =>
          logged.mock.calls.some(
            ([fields, message]) => message === 'MCP session expired' && (fields as { mcpSession?: string }).mcpSession === sessionId,
          ),
        stop: () => logged.mockRestore(),
      };
    };

    it('a subscribed client that goes away without DELETE: its session expires, answers 404, and its poll stops', async () => {
      const expired = expiries();
      const reads = vi.spyOn(system.core.sessions, 'list');
      const overviews = vi.spyOn(system.core, 'overview');
      try {
        const gone = await connect();
        await gone.client.subscribeResource({ uri: 'mission://sessions' });
        // A client that just disconnects: its streams close, no DELETE is sent.
        await gone.client.close();
        await waitUntil(() => expired.has(gone.sessionId), 30_000, 'the idle session to expire');

        const answer = await ping(gone.sessionId);
        expect(answer.status).toBe(404);
        expect(JSON.parse(answer.body).error.message).toMatch(/unknown MCP session .*initialize again/);

        // Another subscriber's poll ticks twice: the expired session's poll read nothing meanwhile.
        const readsAtExpiry = reads.mock.calls.length;
        const watcher = await connect();
        await watcher.client.subscribeResource({ uri: 'mission://status' });
        const overviewsAtStart = overviews.mock.calls.length;
        await waitUntil(() => overviews.mock.calls.length >= overviewsAtStart + 2, 30_000, "the other subscriber's poll to run twice");
        expect(reads.mock.calls.length).toBe(readsAtExpiry);
        await watcher.client.close();
      } finally {
        expired.stop();
        reads.mockRestore();
        overviews.mockRestore();
      }
    });

    it('a connected client holding its notification stream does not expire, however long it is quiet', async () => {
      const expired = expiries();
      try {
        const quiet = await connect();
        // A session opened after the quiet one's last request and left at once expires after it would have.
        const opened = await post(system, initialize(), { host: `127.0.0.1:${port}` });
        const later = String(opened.headers['mcp-session-id']);
        await waitUntil(() => expired.has(later), 30_000, 'the later idle session to expire');
        expect(expired.has(quiet.sessionId)).toBe(false);
        expect(await quiet.client.ping()).toEqual({});
        await quiet.client.close();
      } finally {
        expired.stop();
      }
    });
  });
});
