import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRedis } from '@mission/store';

export interface PrivateRedis {
  url: string;
  /** The server's process id. */
  pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

export const REDIS_MISSING =
  'Redis is needed: set REDIS_URL=redis://host:6379, or install redis-server so Mission can start its own (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)';

/**
 * Starts a throwaway `redis-server` from PATH (no persistence) on a loopback port — a free one unless
 * given — for `npm start` without REDIS_URL. It wants a password of its own: agents run by a worker reach what it
 * reaches, the loopback included, and one that could talk to Redis would read every session's events. The password
 * is in a config file only Mission's user reads (on its command line every user of the machine would see it).
 */
export async function startPrivateRedis(dataDir: string, port?: number): Promise<PrivateRedis> {
  port ??= await freePort();
  fs.mkdirSync(dataDir, { recursive: true });
  const config = path.join(dataDir, 'redis.conf');
  const password = passwordIn(config);
  const child = spawn(
    'redis-server',
    [
      config,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dataDir,
      '--logfile',
      path.join(dataDir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'ENOENT' ? REDIS_MISSING : `redis-server: ${error.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}; see ${path.join(dataDir, 'redis.log')}`)));
  });
  // Whatever ends this process (a failed start included) ends the server too.
  process.once('exit', () => child.kill('SIGTERM'));
  const url = `redis://:${password}@127.0.0.1:${port}`;
  await Promise.race([waitForPing(url), failed]);
  failed.catch(() => {
    // started: a later exit (stop() included) is told by the Redis clients that lose their connection
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The password `config` asks for: the one written there before (a server started again in the same folder takes its
 * clients back), else a new one, written there (mode 600).
 */
function passwordIn(config: string): string {
  const written = fs.existsSync(config) ? /^requirepass (\S+)$/m.exec(fs.readFileSync(config, 'utf8'))?.[1] : undefined;
  if (written) return written;
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(config, `requirepass ${password}\n`, { mode: 0o600 });
  return password;
}

async function waitForPing(url: string): Promise<void> {
  const redis = createRedis(url, 'mission-probe');
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (await redis.ping().catch(() => null)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not answer within ${READY_TIMEOUT_MS} ms`);
  } finally {
    redis.disconnect();
  }
}

/** A loopback TCP port nobody listens on now (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
