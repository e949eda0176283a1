import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ANSWER_TIMEOUT_MS, httpFetch } from './httpFetch.ts';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('httpFetch', () => {
  /** Requests the server has received and not answered (`/hang`), and bodies it keeps open (`/stream`, `/partial`). */
  const waiting: Array<() => void> = [];
  let received = 0;
  let url: string;
  let server: http.Server;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      received++;
      if (request.url === '/hang') waiting.push(() => response.destroy());
      else if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        waiting.push(() => response.end());
      } else if (request.url === '/partial') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"ok":');
        waiting.push(() => response.end('true}'));
      } else if (request.url === '/echo') {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          response.writeHead(201, { 'content-type': 'application/json', 'mcp-session-id': 'abc' });
          response.end(JSON.stringify({ method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString() }));
        });
      } else if (request.url === '/moved') response.writeHead(307, { location: '/elsewhere' }).end();
      else if (request.url === '/empty') response.writeHead(202).end();
      else if (request.url === '/deleted') response.writeHead(204).end();
      else response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const end of waiting) end();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, headers and body it is given, and answers with the status, headers and body it got', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', text: 'ünïcode' });
    const headers = new Headers({ 'content-type': 'application/json', authorization: 'Bearer t' });
    const response = await httpFetch(`${url}/echo`, { method: 'POST', headers, body });
    expect(response.status).toBe(201);
    expect(response.headers.get('mcp-session-id')).toBe('abc');
    expect(response.url).toBe(`${url}/echo`);
    const echoed = (await response.json()) as { method: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe('POST');
    expect(echoed.body).toBe(body);
    expect(echoed.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t',
      'content-length': String(Buffer.byteLength(body)),
    });
  });

  it('answers a status without a body (204) with none, and an empty body (202) as empty', async () => {
    const deleted = await httpFetch(`${url}/deleted`, { method: 'DELETE' });
    expect([deleted.status, deleted.body]).toEqual([204, null]);
    const accepted = await httpFetch(`${url}/empty`, { method: 'POST', body: '{}' });
    expect([accepted.status, await accepted.text()]).toEqual([202, '']);
  });

  it('follows no redirect: the SDK is handed the 307 and where it points', async () => {
    const response = await httpFetch(`${url}/moved`, { redirect: 'manual' });
    expect([response.status, response.headers.get('location'), response.url]).toEqual([307, '/elsewhere', `${url}/moved`]);
  });

  it('says why a server cannot be reached, and refuses a scheme it does not speak', async () => {
    await expect(httpFetch('http://127.0.0.1:9/mcp')).rejects.toThrow(/ECONNREFUSED 127\.0\.0\.1:9/);
    await expect(httpFetch('ftp://127.0.0.1/mcp')).rejects.toThrow("Mission's MCP client speaks http and https, not ftp:");
  });

  it('leaves no listener on the caller’s signal once each body has been read', async () => {
    const parent = new AbortController();
    for (let i = 0; i < 50; i++) {
      const response = await httpFetch(`${url}/json`, { signal: parent.signal });
      expect(await response.json()).toEqual({ ok: true });
      expect(listeners(parent.signal)).toBe(0);
    }
  });

  it('leaves no listener once an event stream is cancelled unread', async () => {
    const parent = new AbortController();
    const response = await httpFetch(`${url}/stream`, { signal: parent.signal });
    expect(listeners(parent.signal)).toBe(1);
    await response.body?.cancel();
    await expect.poll(() => listeners(parent.signal)).toBe(0);
  });

  it.each([
    ['a request in flight', '/hang'],
    ['a JSON body still arriving', '/partial'],
  ])('aborts %s when the caller’s signal is aborted, and unlinks it', async (_what, route) => {
    const parent = new AbortController();
    const pending = httpFetch(`${url}${route}`, { signal: parent.signal });
    const held = waiting.length + 1;
    await expect.poll(() => waiting.length).toBe(held);
    parent.abort(new Error('closed'));
    await expect(pending).rejects.toThrow('closed');
    expect(listeners(parent.signal)).toBe(0);
  });

  it('aborts an open event stream when the caller’s signal is aborted', async () => {
    const parent = new AbortController();
    const response = await httpFetch(`${url}/stream`, { signal: parent.signal });
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader?.read())?.value).toBe('data: first\n\n');
    const next = reader?.read();
    parent.abort(new Error('closed'));
    await expect(next).rejects.toThrow('closed');
    expect(listeners(parent.signal)).toBe(0);
  });

  it('fails a request not answered within ANSWER_TIMEOUT_MS, naming the server; an answer (an event stream too) clears its timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const pending = httpFetch(`${url}/hang`);
      const failed = expect(pending).rejects.toThrow(`no answer from ${url} within 300 s`);
      await vi.advanceTimersByTimeAsync(ANSWER_TIMEOUT_MS);
      await failed;

      expect(await (await httpFetch(`${url}/json`)).json()).toEqual({ ok: true });
      const stream = await httpFetch(`${url}/stream`);
      expect(vi.getTimerCount()).toBe(0);
      await stream.body?.cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects at once, sending nothing, when the caller’s signal is already aborted', async () => {
    const parent = new AbortController();
    parent.abort(new Error('closed'));
    const before = received;
    await expect(httpFetch(`${url}/json`, { signal: parent.signal })).rejects.toThrow('closed');
    // A request sent would have reached the server before this one.
    expect(await (await httpFetch(`${url}/json`)).json()).toEqual({ ok: true });
    expect(received).toBe(before + 1);
    expect(listeners(parent.signal)).toBe(0);
  });
});
