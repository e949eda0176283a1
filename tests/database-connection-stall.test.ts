import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/isolation.ts';
import { type ChunkFilter, startTcpProxy } from './support/tcpProxy.ts';

/** Postgres's ReadyForQuery message while idle: 'Z', length 5, status 'I'. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/**
 * A filter that passes what the server sends up to the end of its first ReadyForQuery and nothing after it (a server
 * that hangs, a network that stops carrying). The message is looked for across chunks: TCP may split it anywhere.
 */
function stallAfterFirstReadyForQuery(onStall: () => void): ChunkFilter {
  let carried = Buffer.alloc(0);
  let stalled = false;
  return (chunk) => {
    if (stalled) return Buffer.alloc(0);
    const seen = Buffer.concat([carried, chunk]);
    const at = seen.indexOf(READY_FOR_QUERY);
    if (at < 0) {
      carried = seen.subarray(Math.max(0, seen.length - (READY_FOR_QUERY.length - 1)));
      return chunk;
    }
    stalled = true;
    onStall();
    return chunk.subarray(0, at + READY_FOR_QUERY.length - carried.length);
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
    let onStall!: () => void;
    const stalled = new Promise<void>((resolve) => (onStall = resolve));
    const proxy = await startTcpProxy(
      { host: url.hostname, port: Number(url.port || 5432) },
      { fromServer: (connection) => (connection === 1 ? (chunk) => chunk : stallAfterFirstReadyForQuery(onStall)) },
    );
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
      await stalled;
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
