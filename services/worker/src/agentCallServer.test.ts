import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { agentCallServer } from './agentCallServer.ts';

/**
 * Longer than Node's HTTP server keeps an idle kept-alive connection by default: its `keepAliveTimeout` (5 s) and the
 * second it adds before it closes the socket (measured on Node 22: the close came at 6.0 s).
 */
const PAST_NODE_KEEP_ALIVE_MS = http.createServer().keepAliveTimeout + 1_500;

describe('agentCallServer', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("keeps an agent's idle connection open past Node's keep-alive, so its next call on it is answered", async () => {
    const server = agentCallServer((_request, response) => response.writeHead(200, { 'content-length': '2' }).end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // A client that keeps its connection, as the CLI does: a raw socket, so nothing on this side closes it.
    const socket = net.connect(port, '127.0.0.1');
    closers.push(async () => {
      socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    let received = '';
    let ended = false;
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.once('end', () => (ended = true));
    const call = async () => {
      const before = received.length;
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
      while (!received.slice(before).endsWith('ok') && !ended)
        await new Promise((resolve) => socket.once('data', resolve).once('end', resolve));
      return received.slice(before).split('\r\n')[0];
    };

    expect(await call()).toBe('HTTP/1.1 200 OK');
    // The call under test comes after the connection idled longer than Node's server would have kept it.
    await sleep(PAST_NODE_KEEP_ALIVE_MS);
    expect(ended).toBe(false);
    expect(await call()).toBe('HTTP/1.1 200 OK');
  }, 20_000);
});
