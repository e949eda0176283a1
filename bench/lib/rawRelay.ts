import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawRedis } from './rawRedis.ts';

/**
 * The raw baseline of the fan-out bench (forked by fanout.bench.ts): one Redis subscription relayed
 * to every open `GET /stream` as Server-Sent Events, the message written as it came. The message `end`
 * closes every stream.
 */
const { RELAY_REDIS_URL, RELAY_CHANNEL } = process.env;
const streams = new Set<http.ServerResponse>();
const subscriber = rawRedis(RELAY_REDIS_URL!, 'bench-relay');
subscriber.on('message', (_channel: string, message: string) => {
  if (message === 'end') {
    for (const res of streams) res.end();
    streams.clear();
    return;
  }
  const frame = `data: ${message}\n\n`;
  for (const res of streams) res.write(frame);
});
await subscriber.subscribe(RELAY_CHANNEL!);

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': connected\n\n');
  streams.add(res);
  req.once('close', () => streams.delete(res));
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.once('disconnect', () => process.exit(0));
