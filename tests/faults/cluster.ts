import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenService } from '@mission/core';
import { openDatabase } from '@mission/store';
import postgres from 'postgres';
import { CLAUDE_BIN } from '../support/claudeEnv.ts';
import { waitUntil } from '../support/processes.ts';
import type { StubReply, StubRequest } from '../support/stubAnthropic.ts';
import { type MachineProcess, signal, startInMachine } from './machineProcess.ts';
import { type Machine, type NetworkName, Topology } from './netns.ts';
import { PostgresServer, RedisServer, waitForPort } from './servers.ts';
import { claudeHomeAt, type ReachableStub, startReachableStub } from './stubOnNetwork.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API_PORT = 7070;

/** The fleet's timing: short, so faults outlast it within seconds, and long enough for a loaded 2-core machine. */
export const FLEET_TIMING = { MISSION_HEARTBEAT_MS: '500', MISSION_WORKER_TIMEOUT_MS: '4000', MISSION_JOB_LOCK_MS: '3000' };

/** An admin API token, written straight into the database (as `mission token create` does). */
export async function createAdminToken(databaseUrl: string): Promise<string> {
  const database = await openDatabase({ url: databaseUrl, dataDir: '' });
  try {
    return (await new TokenService(database.db).create({ name: 'faults', scopes: ['admin'] }, 'faults')).token;
  } finally {
    await database.close();
  }
}

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
  readonly postgresMachine: Machine;
  readonly apis: Node[] = [];
  readonly workers: Node[] = [];
  readonly seen: SeenRequest[] = [];
  readonly workdir: string;
  token = '';
  private readonly stubs: ReachableStub[] = [];
  private sql: postgres.Sql | undefined;
  private apiTurn = 0;

  private constructor(
    readonly base: string,
    private readonly options: ClusterOptions,
  ) {
    this.topology = Topology.create();
    this.workdir = path.join(base, 'work');
    this.redis = new RedisServer(this.topology.addMachine('redis', ['redis']), path.join(base, 'redis'));
    this.postgresMachine = this.topology.addMachine('postgres', ['postgres']);
    this.postgres = new PostgresServer(this.postgresMachine, path.join(base, 'postgres'));
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
    const admin = postgres(this.postgres.url(), {
      max: 1,
      onnotice: () => {
        /* notices ("does not exist, skipping") are no news */
      },
    });
    await admin.unsafe('create database mission');
    await admin.end();
    this.sql = postgres(this.postgres.url('mission'), {
      max: 4,
      onnotice: () => {
        /* notices ("does not exist, skipping") are no news */
      },
      connect_timeout: 5,
    });

    for (let i = 1; i <= this.options.apis; i++) {
      this.apis.push(await this.startNode(`api${i}`, ['redis', 'postgres', 'app'], (machine) => this.apiEnv(machine), 'src/api.ts'));
      if (i === 1) await this.createToken();
    }
    for (let i = 1; i <= this.options.workers; i++) {
      const name = `w${i}`;
      const stubUrl = await this.stubFor(name);
      const home = this.homeFor(name, stubUrl);
      this.workers.push(
        await this.startNode(
          name,
          ['redis', 'postgres', 'app'],
          () => this.workerEnv(name, home),
          'src/worker.ts',
          path.join(this.base, name, 'tmp'),
        ),
      );
    }
    // As long as every worker process is alive (tsx compiles each on a loaded machine): a dead one says so at once.
    await waitUntil(
      async () => {
        const dead = this.workers.find((worker) => !worker.process.running());
        if (dead) throw new Error(`worker ${dead.name} exited before it registered\n${dead.process.output().slice(-3_000)}`);
        return (await this.activeWorkers().catch(() => [])).length === this.options.workers;
      },
      600_000,
      'every worker to register',
    );
  }

  private async startNode(
    name: string,
    networks: NetworkName[],
    env: (machine: Machine) => Record<string, string>,
    entry: string,
    tmpDir?: string,
  ): Promise<Node> {
    const machine = this.topology.addMachine(name, networks);
    const launch = () =>
      startInMachine(name, machine, [process.execPath, '--import', 'tsx', entry], { env: env(machine), cwd: ROOT, tmpDir });
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

  /**
   * Until the API listens, or its process ends. The ceiling is generous: on a machine loaded by other runs, tsx
   * compiling the sources took longer than two minutes; an API that dies says so at once.
   */
  private async waitForApi(node: Node): Promise<void> {
    const died = node.process.exited.then((code) => new Error(`${node.name} exited (code ${code}) before it listened`));
    const listening = waitForPort(node.machine.address.app!, API_PORT, `${node.name} to listen`, 600_000).then(
      () => undefined,
      (error: Error) => error,
    );
    const problem = await Promise.race([listening, died]);
    if (problem) throw new Error(`${problem.message}\n${node.process.output().slice(-3_000)}`);
  }

  private commonEnv(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      DATABASE_URL: this.postgres.url('mission'),
      REDIS_URL: this.redis.url,
      MISSION_SLOTS_FILE: path.join(this.base, 'slots.yaml'),
      MISSION_PERMISSIONS_FILE: path.join(this.base, 'permissions.yaml'),
      MISSION_APPROVAL_SECRET: 'faults-approval-secret-0123456789abcdef',
      MISSION_RATE_LIMIT_PER_MINUTE: '1000000',
      MISSION_CLAUDE_BIN: CLAUDE_BIN,
      // Agents run as the test's own user, as in every other test (vitest.config.ts): a root worker would want mission-agent.
      ...(process.env.MISSION_AGENT_USER ? { MISSION_AGENT_USER: process.env.MISSION_AGENT_USER } : {}),
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

  /** A stub Messages API for one worker; what it is asked is kept in `seen`. */
  private async stubFor(worker: string): Promise<string> {
    const stub = await startReachableStub(this.topology.hostAddress('app'), (request) => {
      const reply = this.options.script(worker, request);
      this.seen.push({ worker, at: Date.now(), request, reply });
      return reply;
    });
    this.stubs.push(stub);
    return stub.url;
  }

  /** The worker's own HOME with Claude Code's config for the stub (trusting the shared work folder). */
  private homeFor(worker: string, stubUrl: string): Record<string, string> {
    return claudeHomeAt(path.join(this.base, worker, 'home'), stubUrl, [this.workdir]);
  }

  private async createToken(): Promise<void> {
    this.token = await createAdminToken(this.postgres.url('mission'));
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
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
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

  /** Writes every process's output so far into `dir` (one file each), for a failed run's report; resolves the paths. */
  saveLogs(dir: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    return [...this.apis, ...this.workers].map((node) => {
      const file = path.join(dir, `${node.name}.log`);
      fs.writeFileSync(file, node.process.output());
      return file;
    });
  }

  /** A task's or session's row and events, for explaining a violation. */
  async explain(id: string): Promise<string> {
    const [task] = await this.db`select id, mode, status, retry, attempts, worker_id, parent_id, error, prompt from tasks where id = ${id}`;
    const [session] = await this.db`select id, state, owner_worker from sessions where id = ${id}`;
    const events = await this.db<
      { seq: number; type: string; payload: unknown; at: Date }[]
    >`select seq, type, payload, at from events where owner_id = ${id} order by seq`;
    return [
      JSON.stringify(task ?? session ?? { id }),
      ...events.map((e) => `  ${e.seq} ${e.at.toISOString()} ${e.type} ${JSON.stringify(e.payload).slice(0, 300)}`),
    ].join('\n');
  }

  async close(): Promise<void> {
    for (const node of [...this.workers, ...this.apis]) if (node.process.running()) await signal(node.process, 'SIGCONT');
    await this.sql?.end({ timeout: 1 }).catch(() => {
      /* a Postgres a fault left unreachable cannot say goodbye: its machine goes next */
    });
    this.topology.destroy();
    await Promise.all(this.stubs.map((stub) => stub.close()));
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}
