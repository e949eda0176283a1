import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenService } from '@mission/core';
import { openDatabase } from '@mission/shared';
import postgres from 'postgres';
import { CLAUDE_BIN, prepareClaudeHome } from '../support/claudeEnv.ts';
import { waitUntil } from '../support/processes.ts';
import { type StubAnthropic, type StubReply, type StubRequest, startStubAnthropic } from '../support/stubAnthropic.ts';
import { type MachineProcess, signal, startInMachine } from './machineProcess.ts';
import { type Machine, type NetworkName, Topology } from './netns.ts';
import { PostgresServer, RedisServer, waitForPort } from './servers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API_PORT = 7070;

/** The fleet's timing: short, so faults outlast it within seconds, and long enough for a loaded 2-core machine. */
export const FLEET_TIMING = { MISSION_HEARTBEAT_MS: '500', MISSION_WORKER_TIMEOUT_MS: '4000', MISSION_JOB_LOCK_MS: '3000' };

/** A request one worker's claude made to the stub API, and when (epoch ms). */
export interface SeenRequest {
  worker: string;
  at: number;
  request: StubRequest;
  reply: StubReply;
}

/** Answers the claude processes: decided by the workload from the request (and which worker made it). */
export type StubScript = (worker: string, request: StubRequest) => StubReply;

export interface ClusterOptions {
  apis: number;
  workers: number;
  script: StubScript;
  /** Environment every API and worker process gets on top of the cluster's. */
  env?: Record<string, string>;
  /** The permissions file's contents (YAML). */
  permissions: string;
  /** The slots file's contents (YAML); `{workdir}` is replaced by the shared work folder. */
  slots: string;
}

export interface Node {
  name: string;
  machine: Machine;
  process: MachineProcess;
  /** Starts the node's process again after it ended (same machine, same id). */
  restart(): Promise<void>;
}

/**
 * Mission spread over machines: Redis, Postgres, API processes and worker processes each in a network
 * namespace of its own, every worker with its own HOME and /tmp and its own stub Messages API (so the
 * stub's requests say which worker made them). Everything lives under one folder in /var/tmp and is
 * removed by `close()`, also after a failure.
 */
export class Cluster {
  readonly topology: Topology;
  readonly redis: RedisServer;
  readonly postgres: PostgresServer;
  readonly apis: Node[] = [];
  readonly workers: Node[] = [];
  readonly seen: SeenRequest[] = [];
  readonly workdir: string;
  token = '';
  private readonly stubs: StubAnthropic[] = [];
  private readonly forwarders: net.Server[] = [];
  private sql: postgres.Sql | undefined;
  private apiTurn = 0;

  private constructor(
    readonly base: string,
    private readonly options: ClusterOptions,
  ) {
    this.topology = Topology.create();
    this.workdir = path.join(base, 'work');
    this.redis = new RedisServer(this.topology.addMachine('redis', ['redis']), path.join(base, 'redis'));
    this.postgres = new PostgresServer(this.topology.addMachine('postgres', ['postgres']), path.join(base, 'postgres'));
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const base = fs.mkdtempSync('/var/tmp/mission-faults-');
    fs.chmodSync(base, 0o755);
    let cluster: Cluster | undefined;
    try {
      cluster = new Cluster(base, options);
      await cluster.boot();
      return cluster;
    } catch (error) {
      await cluster?.close();
      fs.rmSync(base, { recursive: true, force: true });
      throw error;
    }
  }

  private async boot(): Promise<void> {
    fs.mkdirSync(this.workdir);
    fs.writeFileSync(path.join(this.base, 'permissions.yaml'), this.options.permissions);
    fs.writeFileSync(path.join(this.base, 'slots.yaml'), this.options.slots.replaceAll('{workdir}', this.workdir));
    await this.redis.start();
    await this.postgres.init();
    await this.postgres.start();
    const admin = postgres(this.postgres.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe('create database mission');
    await admin.end();
    this.sql = postgres(this.postgres.url('mission'), { max: 4, onnotice: () => {}, connect_timeout: 5 });

    for (let i = 1; i <= this.options.apis; i++) {
      this.apis.push(await this.startNode(`api${i}`, ['redis', 'postgres', 'app'], (machine) => this.apiEnv(machine), 'src/api.ts'));
      if (i === 1) await this.createToken();
    }
    for (let i = 1; i <= this.options.workers; i++) {
      const name = `w${i}`;
      const stubUrl = await this.stubFor(name);
      const home = this.homeFor(name, stubUrl);
      this.workers.push(await this.startNode(name, ['redis', 'postgres', 'app'], () => this.workerEnv(name, home), 'src/worker.ts', path.join(this.base, name, 'tmp')));
    }
    await waitUntil(async () => (await this.activeWorkers().catch(() => [])).length === this.options.workers, 90_000, 'every worker to register');
  }

  private async startNode(name: string, networks: NetworkName[], env: (machine: Machine) => Record<string, string>, entry: string, tmpDir?: string): Promise<Node> {
    const machine = this.topology.addMachine(name, networks);
    const launch = () => startInMachine(name, machine, [process.execPath, '--import', 'tsx', entry], { env: env(machine), cwd: ROOT, tmpDir });
    const node: Node = {
      name,
      machine,
      process: launch(),
      restart: async () => {
        node.process = launch();
        if (entry === 'src/api.ts') await this.waitForApi(node);
      },
    };
    if (entry === 'src/api.ts') await this.waitForApi(node);
    return node;
  }

  private async waitForApi(node: Node): Promise<void> {
    await waitForPort(node.machine.address.app!, API_PORT, `${node.name} to listen`, 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${node.process.output().slice(-3_000)}`);
    });
  }

  private commonEnv(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      DATABASE_URL: this.postgres.url('mission'),
      REDIS_URL: this.redis.url,
      MISSION_SLOTS_FILE: path.join(this.base, 'slots.yaml'),
      MISSION_PERMISSIONS_FILE: path.join(this.base, 'permissions.yaml'),
      MISSION_APPROVAL_SECRET: 'faults-approval-secret',
      MISSION_RATE_LIMIT_PER_MINUTE: '1000000',
      MISSION_CLAUDE_BIN: CLAUDE_BIN,
      LOG_LEVEL: 'info',
      ...FLEET_TIMING,
      ...this.options.env,
    };
  }

  private apiEnv(machine: Machine): Record<string, string> {
    const own = path.join(this.base, machine.name);
    fs.mkdirSync(own, { recursive: true });
    return { ...this.commonEnv(), HOME: own, HOST: machine.address.app!, PORT: String(API_PORT), MISSION_DATA_DIR: own };
  }

  private workerEnv(name: string, home: Record<string, string>): Record<string, string> {
    return {
      ...this.commonEnv(),
      ...home,
      MISSION_WORKER_ID: name,
      MISSION_WORKER_CONCURRENCY: '2',
      MISSION_API_URL: this.apiUrl(),
      MISSION_DATA_DIR: path.join(this.base, name, 'data'),
    };
  }

  /** A stub Messages API for one worker, reachable from the app network through a TCP forwarder. */
  private async stubFor(worker: string): Promise<string> {
    const stub = await startStubAnthropic();
    stub.respond((request) => {
      const reply = this.options.script(worker, request);
      this.seen.push({ worker, at: Date.now(), request, reply });
      return reply;
    });
    this.stubs.push(stub);
    const target = new URL(stub.url);
    const forwarder = net.createServer((socket) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    this.forwarders.push(forwarder);
    const host = this.topology.hostAddress('app');
    await new Promise<void>((resolve) => forwarder.listen(0, host, resolve));
    return `http://${host}:${(forwarder.address() as net.AddressInfo).port}`;
  }

  /** The worker's own HOME with Claude Code's config for the stub (trusting the shared work folder). */
  private homeFor(worker: string, stubUrl: string): Record<string, string> {
    const prepared = prepareClaudeHome({ apiUrl: stubUrl, trustedDirs: [this.workdir] });
    const home = path.join(this.base, worker, 'home');
    fs.cpSync(prepared.home, home, { recursive: true });
    prepared.remove();
    return { ...prepared.env, HOME: home };
  }

  private async createToken(): Promise<void> {
    const database = await openDatabase({ url: this.postgres.url('mission'), dataDir: '' });
    try {
      this.token = (await new TokenService(database.db).create({ name: 'faults', scopes: ['admin'] }, 'faults')).token;
    } finally {
      await database.close();
    }
  }

  apiUrl(node: Node = this.apis[0]!): string {
    return `http://${node.machine.address.app}:${API_PORT}`;
  }

  /** fetch on an API (round robin over them unless one is named), with the admin token and a deadline. */
  fetch(route: string, init: RequestInit & { api?: Node; timeoutMs?: number } = {}): Promise<Response> {
    const api = init.api ?? this.apis[this.apiTurn++ % this.apis.length]!;
    return fetch(this.apiUrl(api) + route, {
      ...init,
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
      headers: { authorization: `Bearer ${this.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
  }

  /** The database, read directly (as the checker does). */
  get db(): postgres.Sql {
    return this.sql!;
  }

  async activeWorkers(): Promise<string[]> {
    const rows = await this.db<{ id: string }[]>`select id from workers where state = 'active'`;
    return rows.map((r) => r.id);
  }

  /** Workers whose process runs and that the registry lists active. */
  async liveWorkers(): Promise<string[]> {
    const active = await this.activeWorkers();
    return this.workers.filter((w) => w.process.running() && active.includes(w.name)).map((w) => w.name);
  }

  /** SIGKILL every process of the machine (the node is gone), then start it again. */
  async crash(node: Node): Promise<void> {
    for (const pid of this.topology.pidsOf(node.machine)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
    await node.process.exited;
  }

  async pause(node: Node): Promise<void> {
    await signal(node.process, 'SIGSTOP');
  }

  async resume(node: Node): Promise<void> {
    await signal(node.process, 'SIGCONT');
  }

  /** Every process's output, for the report of a failed run. */
  logs(): string {
    return [...this.apis, ...this.workers].map((n) => `--- ${n.name}:\n${n.process.output().slice(-4_000)}`).join('\n');
  }

  async close(): Promise<void> {
    for (const node of [...this.workers, ...this.apis]) if (node.process.running()) await signal(node.process, 'SIGCONT');
    await this.sql?.end({ timeout: 1 }).catch(() => {});
    this.topology.destroy();
    for (const forwarder of this.forwarders) forwarder.close();
    await Promise.all(this.stubs.map((stub) => stub.close()));
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}
