import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { recordChild } from './support/childProcesses.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { commandLine, descendantsOf, isRunning, waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

/** What the bridge promises: gone within a second of its client going. */
const EXIT_WITHIN_MS = 1_000;

/** One request the bridge made to Mission, as it arrived. */
interface Seen {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: { method?: string; id?: unknown } | undefined;
}

/** An HTTP proxy in front of Mission that records every request the bridge sends, in arrival order. */
async function recordingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const upstream = new URL(target);
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: request.method ?? '',
        headers: request.headers,
        body: body.length > 0 ? JSON.parse(body.toString()) : undefined,
      });
      const forwarded = http.request(
        new URL(request.url ?? '/', upstream),
        { method: request.method, headers: { ...request.headers, host: upstream.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', () => response.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Milliseconds until `pid` has exited (waiting up to 10 s, to tell slow from never). */
async function exitTime(pid: number): Promise<number> {
  const start = performance.now();
  await waitUntil(() => !isRunning(pid), 10_000, `process ${pid} to exit`);
  return Math.round(performance.now() - start);
}

/** JSON-RPC lines read from a process's stdout. */
function lines(child: ChildProcessWithoutNullStreams): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      messages.push(JSON.parse(buffered.slice(0, newline)));
      buffered = buffered.slice(newline + 1);
    }
  });
  return messages;
}

describe('mission-mcp, the stdio bridge', () => {
  let system: TestSystem;
  let env: Record<string, string>;

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      MISSION_URL: system.url,
      MISSION_TOKEN: system.auth.authorization.slice('Bearer '.length),
    };
  });
  afterAll(async () => {
    await system?.close();
  });
  /** What a test started, ended here if the test failed to see it end. */
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0).filter(isRunning)) process.kill(pid, 'SIGKILL');
  });

  /** The SDK's client on `npx mission-mcp`, connected; with the pids of npx and of the bridge under it. */
  async function connectThroughNpx() {
    const transport = new StdioClientTransport({ command: 'npx', args: ['mission-mcp'], env, stderr: 'pipe' });
    const client = new Client({ name: 'bridge-test', version: '1.0.0' });
    await client.connect(transport);
    const npx = transport.pid!;
    const bridge = descendantsOf(npx).find((pid) => commandLine(pid).startsWith('node ') && commandLine(pid).includes('mission-mcp'));
    started.push(npx, ...descendantsOf(npx));
    expect(bridge, `the bridge process under npx (${npx})`).toBeDefined();
    return { client, transport, npx, bridge: bridge! };
  }

  it('exits within a second of the SDK client closing (end of its input), leaving no process, on a busy machine', async () => {
    const { client, npx, bridge } = await connectThroughNpx();
    const stopLoad = startCpuLoad();
    onTestFinished(stopLoad);
    expect((await client.listTools()).tools.length).toBeGreaterThan(20);
    const under = descendantsOf(npx);

    const closing = client.close();
    expect(await exitTime(bridge), `ms for mission-mcp (pid ${bridge}) to exit after its input closed`).toBeLessThanOrEqual(EXIT_WITHIN_MS);
    await closing;
    expect([npx, ...under].filter(isRunning)).toEqual([]);
  });

  it('exits within a second of the process above it being killed, though its input stays open, on a busy machine', async () => {
    const { client, transport, npx, bridge } = await connectThroughNpx();
    const stopLoad = startCpuLoad();
    onTestFinished(stopLoad);
    const under = descendantsOf(npx);
    // The test still holds the write end of the bridge's stdin: only the death of npx can tell it.
    process.kill(npx, 'SIGKILL');
    expect(await exitTime(bridge), `ms for mission-mcp (pid ${bridge}) to exit after npx (pid ${npx}) was killed`).toBeLessThanOrEqual(
      EXIT_WITHIN_MS,
    );
    await waitUntil(() => under.every((pid) => !isRunning(pid)), EXIT_WITHIN_MS, 'the shell npx left to exit');
    await transport.close();
    await client.close();
  });

  it('relays a pipelining client in order: initialize, initialized, ping and tools/list written at once all arrive and are answered', async () => {
    const proxy = await recordingProxy(system.url);
    const child = spawn(process.execPath, ['packages/cli/bin/mission-mcp.mjs'], { env: { ...env, MISSION_URL: proxy.url } });
    recordChild(child);
    try {
      const received = lines(child);
      const messages = [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipeliner', version: '1.0.0' } },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'ping' },
        { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      ];
      child.stdin.write(messages.map((message) => `${JSON.stringify(message)}\n`).join(''));
      await waitUntil(
        () => [1, 2, 3].every((id) => received.some((message) => message.id === id)),
        30_000,
        'the answers to initialize, ping and tools/list',
      );

      const answer = (id: number) => received.find((message) => message.id === id)!;
      expect(answer(1)).toMatchObject({ result: { protocolVersion: '2025-06-18', serverInfo: { name: 'mission' } } });
      expect(answer(2)).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
      expect((answer(3) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(20);
      expect(received.filter((message) => 'error' in message)).toEqual([]);

      const posts = proxy.seen.filter((request) => request.method === 'POST');
      expect(posts.map((request) => request.body?.method)).toEqual(['initialize', 'notifications/initialized', 'ping', 'tools/list']);
      const sessionId = posts[0]!.headers['mcp-session-id'];
      expect(sessionId).toBeUndefined();
      for (const later of posts.slice(1)) {
        expect(later.headers['mcp-session-id'], later.body?.method).toMatch(/^[0-9a-f-]{36}$/);
        expect(later.headers['mcp-protocol-version'], later.body?.method).toBe('2025-06-18');
      }

      // End of input: the bridge ends its HTTP session (DELETE) and exits.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      expect(await exited).toBe(0);
      await waitUntil(() => proxy.seen.some((request) => request.method === 'DELETE'), 5_000, 'the DELETE of the session');
      const deleted = proxy.seen.find((request) => request.method === 'DELETE');
      expect(deleted?.headers['mcp-session-id']).toBe(posts[1]!.headers['mcp-session-id']);
      const reused = await system.fetch('/mcp', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': String(deleted?.headers['mcp-session-id']),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
      });
      expect(reused.status).toBe(404);
    } finally {
      child.kill();
      await proxy.close();
    }
  });
});
