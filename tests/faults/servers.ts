import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitUntil } from '../support/processes.ts';
import { type MachineProcess, signal, startInMachine } from './machineProcess.ts';
import type { Machine } from './netns.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';
export const REDIS_PORT = 6379;
export const POSTGRES_PORT = 5432;

/** Resolves once something accepts TCP connections at host:port (checked from this process). */
export async function waitForPort(host: string, port: number, what: string, timeoutMs = 60_000): Promise<void> {
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port, timeout: 1_000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  await waitUntil(accepts, timeoutMs, what);
}

/**
 * A Redis of the harness's own, in its machine, without persistence: a restart empties it. It wants a password, as
 * every deployment's must (agents share the workers' network): a random one, or the one the deployment's URL names.
 */
export class RedisServer {
  private process: MachineProcess | undefined;

  constructor(
    private readonly machine: Machine,
    private readonly dir: string,
    readonly password: string = randomBytes(18).toString('hex'),
  ) {
    if (password === '') throw new Error('the harness Redis wants a password: the deployment gave it none');
  }

  get url(): string {
    return `redis://:${encodeURIComponent(this.password)}@${this.machine.address.redis}:${REDIS_PORT}`;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    const address = this.machine.address.redis!;
    // In a file only root reads: on redis-server's command line every user of the machine would see it.
    const config = path.join(this.dir, 'redis.conf');
    fs.writeFileSync(config, `requirepass "${this.password}"\n`, { mode: 0o600 });
    this.process = startInMachine(
      'redis',
      this.machine,
      [
        'redis-server',
        config,
        '--bind',
        address,
        '--port',
        String(REDIS_PORT),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--protected-mode',
        'no',
      ],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      },
    );
    await waitForPort(address, REDIS_PORT, 'the harness Redis to listen');
  }

  /** kill -9 and start again: every key is gone, as after a crash without persistence. */
  async restartEmpty(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.process) await signal(this.process, 'SIGKILL');
  }

  output(): string {
    return this.process?.output() ?? '';
  }
}

/** A throwaway PostgreSQL 15 cluster of the harness's own (initdb in a temp folder), run as the postgres user in its machine. */
export class PostgresServer {
  private process: MachineProcess | undefined;
  private readonly dataDir: string;

  constructor(
    private readonly machine: Machine,
    private readonly dir: string,
  ) {
    this.dataDir = path.join(dir, 'data');
  }

  /** The connection URL for `database` (trust authentication on the harness's networks). */
  url(database = 'postgres'): string {
    return `postgres://postgres@${this.machine.address.postgres}:${POSTGRES_PORT}/${database}`;
  }

  static available(): boolean {
    return fs.existsSync(path.join(PG_BIN, 'initdb'));
  }

  async init(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    execFileSync('chown', ['postgres:postgres', this.dir]);
    execFileSync(
      'setpriv',
      [
        '--reuid=postgres',
        '--regid=postgres',
        '--init-groups',
        '--',
        path.join(PG_BIN, 'initdb'),
        '-D',
        this.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--no-sync',
      ],
      {
        stdio: 'pipe',
      },
    );
    fs.appendFileSync(path.join(this.dataDir, 'pg_hba.conf'), '\nhost all all 10.0.0.0/8 trust\n');
  }

  async start(): Promise<void> {
    const address = this.machine.address.postgres!;
    this.process = startInMachine(
      'postgres',
      this.machine,
      [
        path.join(PG_BIN, 'postgres'),
        '-D',
        this.dataDir,
        '-p',
        String(POSTGRES_PORT),
        '-c',
        `listen_addresses=${address}`,
        '-c',
        `unix_socket_directories=${this.dir}`,
        '-c',
        'fsync=off',
        '-c',
        'max_connections=300',
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' }, user: 'postgres' },
    );
    await waitUntil(() => this.ready(), 60_000, 'the harness Postgres to accept connections');
  }

  private ready(): boolean {
    try {
      execFileSync(path.join(PG_BIN, 'pg_isready'), ['-q', '-h', this.machine.address.postgres!, '-p', String(POSTGRES_PORT), '-t', '1'], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  }

  /** kill -9 of the postmaster and its backends (a crash), then start again: it recovers from its WAL. */
  async restart(pidsInMachine: () => number[]): Promise<void> {
    for (const pid of pidsInMachine()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    if (this.process) await this.process.exited;
    await this.start();
  }

  output(): string {
    return this.process?.output() ?? '';
  }
}
