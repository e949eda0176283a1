import net from 'node:net';

/** A TCP proxy on a free loopback port that a test can cut (every connection dropped, new ones refused) and restore. */
export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** What of each chunk the server sends passes on to the client (a stalled network passes an empty buffer). */
export type ChunkFilter = (chunk: Buffer) => Buffer;

export interface TcpProxyOptions {
  /** Called for each new connection, numbered from 1: the filter of what its server sends. Default: everything passes. */
  fromServer?: (connection: number) => ChunkFilter;
}

export async function startTcpProxy(target: { host: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let cut = false;
  let connections = 0;
  const server = net.createServer((client) => {
    if (cut) return void client.destroy();
    const filter = options.fromServer?.(++connections);
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      // A reset on either side ends both: what a cut network does to a connection.
      socket.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream);
    if (!filter) return void upstream.pipe(client);
    upstream.on('data', (chunk: Buffer) => {
      const passed = filter(chunk);
      if (passed.length > 0) client.write(passed);
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
