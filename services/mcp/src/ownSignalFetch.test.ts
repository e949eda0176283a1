import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithOwnSignal } from './ownSignalFetch.ts';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('fetchWithOwnSignal', () => {
  /** Requests the server has received and not answered (`/hang`), and bodies it keeps open (`/stream`, `/partial`). */
  const waiting: Array<() => void> = [];
  let url: string;
  let server: http.Server;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/hang') waiting.push(() => response.destroy());
      else if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        waiting.push(() => response.end());
      } else if (request.url === '/partial') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"ok":');
        waiting.push(() => response.end('true}'));
      } else response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const end of waiting) end();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves no listener on the caller’s signal once each body has been read', async () => {
    const parent = new AbortController();
    const ownFetch = fetchWithOwnSignal();
    for (let i = 0; i < 50; i++) {
      const response = await ownFetch(`${url}/json`, { signal: parent.signal });
      expect(await response.json()).toEqual({ ok: true });
      expect(listeners(parent.signal)).toBe(0);
    }
  });

  it('leaves no listener once a body is cancelled unread', async () => {
    const parent = new AbortController();
    const response = await fetchWithOwnSignal()(`${url}/stream`, { signal: parent.signal });
    expect(listeners(parent.signal)).toBe(1);
    await response.body?.cancel();
    expect(listeners(parent.signal)).toBe(0);
  });

  it.each([
    ['a request in flight', '/hang'],
    ['a JSON body still arriving', '/partial'],
  ])('aborts %s when the caller’s signal is aborted, and unlinks it', async (_what, route) => {
    const parent = new AbortController();
    const pending = fetchWithOwnSignal()(`${url}${route}`, { signal: parent.signal });
    const received = waiting.length + 1;
    await expect.poll(() => waiting.length).toBe(received);
    parent.abort(new Error('closed'));
    await expect(pending).rejects.toThrow('closed');
    expect(listeners(parent.signal)).toBe(0);
  });

  it('aborts an open streaming body when the caller’s signal is aborted', async () => {
    const parent = new AbortController();
    const response = await fetchWithOwnSignal()(`${url}/stream`, { signal: parent.signal });
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader?.read())?.value).toBe('data: first\n\n');
    const next = reader?.read();
    parent.abort(new Error('closed'));
    await expect(next).rejects.toThrow('closed');
    expect(listeners(parent.signal)).toBe(0);
  });

  it('rejects at once, sending nothing, when the caller’s signal is already aborted', async () => {
    const parent = new AbortController();
    parent.abort(new Error('closed'));
    let sent = 0;
    const ownFetch = fetchWithOwnSignal(async (input, init) => {
      sent++;
      return fetch(input, init);
    });
    await expect(ownFetch(`${url}/json`, { signal: parent.signal })).rejects.toThrow('closed');
    expect(sent).toBe(0);
    expect(listeners(parent.signal)).toBe(0);
  });
});
