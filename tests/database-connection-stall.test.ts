import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/isolation.ts';

/** Postgres's ReadyForQuery message while idle: 'Z', length 5, status 'I'. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/**
 * A proxy to Postgres whose connections after the first `healthy` stall once they have opened: the server's first
 * ReadyForQuery reaches the client, nothing after it does (a server that hangs, a network that stops carrying).
 * `stalled` resolves when the first has.
 */
async function startStallingProxy(target: URL, healthy: number): Promise<{ port: number; stalled: Promise<void>; close(): Promise<void> }> {
  let connections = 0;
  let onStall!: () => void;
  const stalled = new Promise<void>((resolve) => (onStall = resolve));
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const stalls = ++connections > healthy;
    let forwarding = true;
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => (open.delete(socket), client.destroy(), upstream.destroy()));
      socket.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!forwarding) return;
      client.write(chunk);
      if (stalls && chunk.includes(READY_FOR_QUERY)) {
        forwarding = false;
        onStall();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stalled,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a Postgres connection that stalls right after it opened', () => {
  let database: TestDatabase;
  const unhandled: unknown[] = [];
  const recordUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    database = await createTestDatabase();
    process.on('unhandledRejection', recordUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', recordUnhandled);
    await database?.drop();
  });

  it('closing the database fails the query it carried, and nothing else: no unhandled rejection to end the process', async () => {
    const url = new URL(database.url);
    // The migration's connection works; the pool's first stalls.
    const proxy = await startStallingProxy(url, 1);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-stall-'));
    try {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(proxy.port);
      const handle = await openDatabase({ url: through.href, dataDir });
      const ping = handle.ping().then(
        () => 'answered',
        // drizzle wraps the driver's error: its cause is postgres.js's.
        (error: { cause?: { code?: string } }) => error.cause?.code,
      );
      await proxy.stalled;
      // Closing waits for the stalled query (postgres.js's end timeout), then destroys its connection.
      await handle.close();
      expect(await ping).toBe('CONNECTION_DESTROYED');
      // An unhandled rejection is reported once the microtasks of the turn that made it have run: one macrotask later.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      await proxy.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
