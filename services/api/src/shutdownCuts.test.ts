import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ShutdownCuts } from './shutdownCuts.ts';

const servers: http.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.closeAllConnections();
});

async function listening(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  // Node would close a connection with no request only once its headers time out, and a kept-alive one after its
  // keep-alive timeout: never, within these tests.
  const server = http.createServer({ headersTimeout: 0, requestTimeout: 0, keepAliveTimeout: 0 }, handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

async function connected(port: number): Promise<{ socket: net.Socket; closed: Promise<void>; received: () => string }> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { socket, closed, received: () => received };
}

/** The server has accepted `count` connections (a client's `connect` comes before the server's `connection`). */
async function accepted(server: http.Server, count: number): Promise<void> {
  for (;;) {
    const open = await new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    if (open >= count) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('ShutdownCuts', () => {
  it('closes a connection no request came on, so the server closes without waiting for its headers to time out', async () => {
    const { server, port } = await listening((_req, res) => res.end('ok'));
    const cuts = new ShutdownCuts(server);
    const idle = await connected(port);
    await accepted(server, 1);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    cuts.cut();
    await idle.closed;
    await serverClosed;
    expect(idle.received()).toBe('');
  });

  it('leaves a request in flight alone: its response is written whole, then the server closes', async () => {
    let respond: (() => void) | undefined;
    let arrived!: () => void;
    const requested = new Promise<void>((resolve) => (arrived = resolve));
    const { server, port } = await listening((_req, res) => {
      respond = () => res.end('done');
      arrived();
    });
    const cuts = new ShutdownCuts(server);
    const busy = await connected(port);
    busy.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await requested;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    cuts.cut();
    expect(busy.socket.destroyed).toBe(false);
    respond!();
    await busy.closed;
    await serverClosed;
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*done$/);
  });

  it('closes a kept-alive connection once its request in flight is answered, headers sent before the cut or after', async () => {
    const respond: (() => void)[] = [];
    let arrivals = 0;
    let arrived!: () => void;
    const bothArrived = new Promise<void>((resolve) => (arrived = resolve));
    const { server, port } = await listening((req, res) => {
      // One answer's headers go before the cut (a streamed answer), the other's with its body.
      if (req.url === '/streamed') res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
      respond.push(() => res.end('done'));
      if (++arrivals === 2) arrived();
    });
    const cuts = new ShutdownCuts(server);
    const plain = await connected(port);
    const streamed = await connected(port);
    plain.socket.write('GET /plain HTTP/1.1\r\nHost: x\r\n\r\n');
    streamed.socket.write('GET /streamed HTTP/1.1\r\nHost: x\r\n\r\n');
    await bothArrived;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    cuts.cut();
    for (const answer of respond) answer();
    await Promise.all([plain.closed, streamed.closed]);
    await serverClosed;
    expect(plain.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close[\s\S]*done$/i);
    expect(streamed.received()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*: open[\s\S]*done/);
  });

  it("cuts an event stream's response: its reader sees the stream end, and the server closes", async () => {
    let cuts!: ShutdownCuts;
    const { server, port } = await listening((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': connected\n\n');
      cuts.stream(res);
    });
    cuts = new ShutdownCuts(server);
    const reader = await connected(port);
    reader.socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!reader.received().includes(': connected')) await new Promise((resolve) => reader.socket.once('data', resolve));
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    cuts.cut();
    await reader.closed;
    await serverClosed;
  });

  it('cuts an event stream opened once the cut was made (its request came before the API began to close)', async () => {
    let cuts!: ShutdownCuts;
    const { server, port } = await listening((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      cuts.cut();
      cuts.stream(res);
    });
    cuts = new ShutdownCuts(server);
    const reader = await connected(port);
    reader.socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await reader.closed;
    expect(reader.received()).toBe('');
  });

  it('leaves an upgraded connection (a WebSocket) to its owner', async () => {
    const { server, port } = await listening((_req, res) => res.end('ok'));
    const cuts = new ShutdownCuts(server);
    const upgraded = new Promise<net.Socket>((resolve) => server.on('upgrade', (_req, socket) => resolve(socket as net.Socket)));
    const client = await connected(port);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    const serverSide = await upgraded;
    cuts.cut();
    expect(serverSide.destroyed).toBe(false);
    serverSide.end('bye');
    await client.closed;
    expect(client.received()).toBe('bye');
  });
});
