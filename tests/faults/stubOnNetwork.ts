import net from 'node:net';
import { prepareClaudeHome } from '../support/claudeEnv.ts';
import { type Responder, startStubAnthropic } from '../support/stubAnthropic.ts';

export interface ReachableStub {
  /** Where the machines reach it. */
  url: string;
  close(): Promise<void>;
}

/**
 * The stub Messages API (it listens on 127.0.0.1) made reachable from the harness's machines: a TCP
 * forwarder on this process's address on their network.
 */
export async function startReachableStub(host: string, responder: Responder): Promise<ReachableStub> {
  const stub = await startStubAnthropic();
  stub.respond(responder);
  const target = new URL(stub.url);
  const sockets = new Set<net.Socket>();
  const forwarder = net.createServer((socket) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => forwarder.listen(0, host, resolve));
  return {
    url: `http://${host}:${(forwarder.address() as net.AddressInfo).port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => forwarder.close(resolve));
      await stub.close();
    },
  };
}

/**
 * Claude Code's config for the stub in `home` (a machine's own HOME, outside the /tmp it does not share),
 * trusting `trustedDirs`. Resolves the environment the CLI needs (HOME, the stub's URL and key, …).
 */
export function claudeHomeAt(home: string, stubUrl: string, trustedDirs: string[]): Record<string, string> {
  return prepareClaudeHome({ apiUrl: stubUrl, trustedDirs, home }).env;
}
