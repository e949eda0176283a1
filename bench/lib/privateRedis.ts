import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { createRedis } from '@mission/shared';
import type { Redis } from 'ioredis';

/**
 * A Redis server of the benchmark's own (not the shared one), so its CPU time and command counts
 * belong to the run being measured and to nothing else on the machine.
 */
export interface PrivateRedis {
  url: string;
  pid: number;
  /** Commands executed since the last `resetStats()` (INFO commandstats, summed). */
  commands(): Promise<number>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', () => output.includes('Ready to accept connections') && resolve());
    server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  await ready;
  const url = `redis://127.0.0.1:${port}`;
  const admin: Redis = createRedis(url, 'bench-redis-admin');
  return {
    url,
    pid: server.pid!,
    async commands() {
      const info = await admin.info('commandstats');
      // Lines like "cmdstat_get:calls=12,usec=…"; the INFO call itself is counted once and left in.
      return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, [, calls]) => sum + Number(calls), 0);
    },
    async resetStats() {
      await admin.config('RESETSTAT');
    },
    async stop() {
      admin.disconnect();
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    },
  };
}

/** A TCP port nobody listens on now (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
