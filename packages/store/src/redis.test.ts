import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis, isRedisUnreachable, type Redis } from './redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connections: Redis[] = [];
const servers: { server: net.Server; sockets: net.Socket[] }[] = [];

afterEach(async () => {
  for (const redis of connections.splice(0)) redis.disconnect();
  for (const { server, sockets } of servers.splice(0)) {
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  }
});

function connect(redisUrl: string, commandTimeoutMs: number): Redis {
  const redis = createRedis(redisUrl, 'redis-test', undefined, { commandTimeoutMs });
  connections.push(redis);
  return redis;
}

/** Keeps this process from reading anything for `ms`: what a loaded machine or a long synchronous step does to it. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no turn of the event loop until the stall is over
  }
}

/** A server that takes connections and never answers: a Redis that is there and does not reply. */
async function silentServer(): Promise<string> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket));
  servers.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('createRedis with a command timeout', () => {
  it("a reply that reached the process while it stalled past the timeout is the command's answer, not a timeout", async () => {
    const redis = connect(url, 200);
    await redis.ping();
    const answer = redis.ping();
    stall(600);
    await expect(answer).resolves.toBe('PONG');
  });

  it('a command Redis never answers fails after the timeout as unreachable', async () => {
    const redis = connect(await silentServer(), 200);
    const started = performance.now();
    const error = await redis.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Command timed out');
    expect(isRedisUnreachable(error)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });
});
