import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createAgentUser, type TestAgentUser } from '../support/agentUser.ts';
import { CLAUDE_BIN } from '../support/claudeEnv.ts';
import { eventually } from './eventually.ts';
import type { StubReply, StubRequest } from '../support/stubAnthropic.ts';
import { createAdminToken } from './cluster.ts';
import { hostOf, type ServiceLaunch } from './deployment.ts';
import { type MachineProcess, signal, startInMachine } from './machineProcess.ts';
import { type Machine, Topology } from './netns.ts';
import { PostgresServer, RedisServer } from './servers.ts';
import { claudeHomeAt, type ReachableStub, startReachableStub } from './stubOnNetwork.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Mission started as a deployment configures it: the API and worker services' commands and environment
 * exactly as read from docker-compose.yml or the k8s manifests, each service on a machine of its own whose
 * /etc/hosts resolves the deployment's host names (redis, postgres, api / mission-api) to the harness's
 * machines. What cannot be the same without a container runtime is changed, and only that:
 * - paths inside the images: `/config/*.yaml` (mounted files) are the repository's copies, with the
 *   slots' `/workspace` a folder of the run; `claude` (installed in the worker image) is the
 *   repository's CLI, first on PATH;
 * - the Anthropic API is the stub: ANTHROPIC_BASE_URL and its key, and a HOME with Claude Code's config
 *   for it (the image's HOME has none).
 */
export interface DeployedSystem {
  url: string;
  fetch(route: string, init?: RequestInit): Promise<Response>;
  seen: { at: number; request: StubRequest }[];
  workdir: string;
  output(service: 'api' | 'worker'): string;
  close(): Promise<void>;
}

/** The user the worker image runs agents as (Dockerfile). */
const IMAGE_AGENT_USER = 'mission-agent';

export async function startDeployed(
  services: ServiceLaunch[],
  files: { slots: string; permissions: string },
  script: (request: StubRequest) => StubReply,
): Promise<DeployedSystem> {
  const base = fs.mkdtempSync('/var/tmp/mission-deployed-');
  fs.chmodSync(base, 0o755); // the agent user reaches its working folder (base/workspace) through it
  const topology = Topology.create();
  const processes: MachineProcess[] = [];
  let agentUser: TestAgentUser | undefined;
  let stub: ReachableStub | undefined;
  try {
    const [api, worker] = [
      services.find((s) => s.command.join(' ').includes('api'))!,
      services.find((s) => s.command.join(' ').includes('worker'))!,
    ];
    const redisMachine = topology.addMachine('redis', ['redis']);
    const pgMachine = topology.addMachine('postgres', ['postgres']);
    const apiMachine = topology.addMachine('api', ['redis', 'postgres', 'app']);
    const workerMachine = topology.addMachine('worker', ['redis', 'postgres', 'app']);

    const hosts = path.join(base, 'hosts');
    const apiNames = api.hostNames.filter(
      (name) => ![hostOf(api.env.REDIS_URL), hostOf(api.env.DATABASE_URL)].includes(name) && name !== 'worker',
    );
    fs.writeFileSync(
      hosts,
      [
        '127.0.0.1 localhost',
        `${redisMachine.address.redis} ${hostOf(api.env.REDIS_URL)}`,
        `${pgMachine.address.postgres} ${hostOf(api.env.DATABASE_URL)}`,
        `${apiMachine.address.app} ${apiNames.join(' ')}`,
        '',
      ].join('\n'),
    );
    const redis = new RedisServer(redisMachine, path.join(base, 'redis'), decodeURIComponent(new URL(api.env.REDIS_URL!).password));
    await redis.start();
    const pg = new PostgresServer(pgMachine, path.join(base, 'postgres'));
    await pg.init();
    await pg.start();
    const databaseUrl = new URL(api.env.DATABASE_URL!);
    const admin = postgres(pg.url(), {
      max: 1,
      onnotice: () => {
        /* notices ("does not exist, skipping") are no news */
      },
    });
    await admin.unsafe(`create role "${databaseUrl.username}" login password '${decodeURIComponent(databaseUrl.password)}'`);
    await admin.unsafe(`create database "${databaseUrl.pathname.slice(1)}" owner "${databaseUrl.username}"`);
    await admin.end();
    const reachableDb = (url: string) => url.replace(`@${databaseUrl.host}`, `@${pgMachine.address.postgres}:5432`);

    const workdir = path.join(base, 'workspace');
    fs.mkdirSync(path.join(base, 'config'), { recursive: true });
    fs.mkdirSync(workdir);
    fs.writeFileSync(path.join(base, 'config', 'slots.yaml'), files.slots.replaceAll('/workspace', workdir));
    fs.writeFileSync(path.join(base, 'config', 'permissions.yaml'), files.permissions);
    const inImage = (env: Record<string, string>) =>
      Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value.startsWith('/config/') ? path.join(base, value) : value]));
    const bin = path.join(base, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(CLAUDE_BIN, path.join(bin, 'claude'));
    const pathEnv = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;

    const seen: DeployedSystem['seen'] = [];
    stub = await startReachableStub(topology.hostAddress('app'), (request) => {
      seen.push({ at: Date.now(), request });
      return script(request);
    });
    const claude = claudeHomeAt(path.join(base, 'worker-home'), stub.url, [workdir]);

    const start = (service: ServiceLaunch, machine: Machine, extra: Record<string, string>) => {
      const child = startInMachine(service.name, machine, service.command, {
        env: { PATH: pathEnv, LANG: 'C.UTF-8', ...inImage(service.env), ...extra },
        cwd: ROOT,
        hostsFile: hosts,
        tmpDir: path.join(base, `${machine.name}-tmp`),
      });
      processes.push(child);
      return child;
    };
    // The image's /workspace is this run's folder: slots written over the API may work there too.
    const apiProcess = start(api, apiMachine, { HOME: path.join(base, 'api-home'), MISSION_SLOT_ROOTS: workdir });
    fs.mkdirSync(path.join(base, 'api-home'));
    const url = `http://${apiMachine.address.app}:${api.env.PORT ?? '7070'}`;
    await eventually(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true || !apiProcess.running(),
      120_000,
      'the API to be ready',
    );
    if (!apiProcess.running()) throw new Error(`the API exited:\n${apiProcess.output().slice(-3_000)}`);
    const token = await createAdminToken(reachableDb(api.env.DATABASE_URL!));
    const authorized = (route: string, init: RequestInit = {}) =>
      fetch(url + route, {
        ...init,
        headers: {
          authorization: `Bearer ${token}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });

    // The image creates the agent user (Dockerfile: mission-agent); this machine gets a user of the run's own for it.
    if (worker.env.MISSION_AGENT_USER === IMAGE_AGENT_USER) agentUser = createAgentUser();
    const workerProcess = start(worker, workerMachine, { ...claude, ...(agentUser ? { MISSION_AGENT_USER: agentUser.name } : {}) });
    await eventually(
      async () => {
        if (!workerProcess.running()) throw new Error(`the worker exited:\n${workerProcess.output().slice(-3_000)}`);
        const body = (await (await authorized('/v1/workers?state=active')).json()) as { workers: unknown[] };
        return body.workers.length === 1;
      },
      120_000,
      'the worker to register',
    );
    const current = stub;
    return {
      url,
      fetch: authorized,
      seen,
      workdir,
      output: (service) => (service === 'api' ? apiProcess : workerProcess).output(),
      async close() {
        for (const p of processes) await signal(p, 'SIGKILL');
        topology.destroy();
        await current.close();
        agentUser?.remove();
        fs.rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const p of processes) await signal(p, 'SIGKILL');
    topology.destroy();
    await stub?.close();
    agentUser?.remove();
    fs.rmSync(base, { recursive: true, force: true });
    throw error;
  }
}
