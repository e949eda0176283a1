import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeployedSystem, startDeployed } from './deployedSystem.ts';
import { parse } from 'yaml';
import {
  composeServices,
  dockerfileContextCopies,
  dockerfileTargets,
  dockerIgnores,
  interpolate,
  k8sServices,
  readDockerfile,
  type ServiceLaunch,
} from './deployment.ts';
import { whyNoNetns } from './netns.ts';
import { MISSION_CHECK_ID, marker, reply } from './script.ts';
import { PostgresServer } from './servers.ts';
import { eventually } from './eventually.ts';
import { TESTED_CLAUDE_VERSIONS } from '@mission/contracts';
import { CLAUDE_VERSION, RECORDED_VERSIONS } from '../fixtures/recordings.ts';

/**
 * The deployments as shipped: docker-compose.yml and the rendered k8s base start the API and a worker
 * with exactly their commands and environment (tests/faults/deployedSystem.ts says what differs without
 * a container runtime), each on a machine of its own, and what a user does must work there.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The shell docker-compose.yml wants, as the README sets it up: the API key and fresh secrets. */
const readmeShell = () => ({
  ANTHROPIC_API_KEY: 'from-the-shell',
  MISSION_REDIS_PASSWORD: randomBytes(24).toString('hex'),
  MISSION_POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
  MISSION_APPROVAL_SECRET: randomBytes(48).toString('base64'),
});

describe('reading the deployment files', () => {
  it('takes ENV and CMD from a Dockerfile stage and its parents', () => {
    const targets = dockerfileTargets(
      'FROM node:22 AS base\nENV A=1 B="two words"\nFROM base AS api\nENV PORT=7070\nCMD ["npx", "tsx", "src/api.ts"]\n',
    );
    expect(targets.api).toEqual({ env: { A: '1', B: 'two words', PORT: '7070' }, cmd: ['npx', 'tsx', 'src/api.ts'], aptPackages: [] });
  });

  it("takes USER and apt packages from a stage's parents, not from a stage it copies from", () => {
    const targets = dockerfileTargets(
      [
        'FROM node:22 AS build',
        'RUN apt-get update && apt-get install -y --no-install-recommends python3 make \\',
        '  && rm -rf /var/lib/apt/lists/*',
        'FROM node:22 AS runtime',
        'RUN apt-get install -y tini',
        'COPY --from=build /app ./',
        'USER node',
        'FROM runtime AS api',
      ].join('\n'),
    );
    expect(targets.build).toMatchObject({ aptPackages: ['python3', 'make'] });
    expect(targets.build!.user).toBeUndefined();
    expect(targets.api).toMatchObject({ aptPackages: ['tini'], user: 'node' });
  });

  it('reads .dockerignore as Docker does: folders with what is in them, ** across folders, ! puts back', () => {
    const patterns = ['**/node_modules', '.git', 'tests/*', '!tests/package.json', '# a comment'];
    expect(dockerIgnores(patterns, 'node_modules')).toBe(true);
    expect(dockerIgnores(patterns, 'packages/store/node_modules/x/index.js')).toBe(true);
    expect(dockerIgnores(patterns, '.git/HEAD')).toBe(true);
    expect(dockerIgnores(patterns, '.github/workflows/ci.yml')).toBe(false);
    expect(dockerIgnores(patterns, 'tests/fleet.test.ts')).toBe(true);
    expect(dockerIgnores(patterns, 'tests/package.json')).toBe(false);
    expect(dockerIgnores(patterns, 'packages/store/src/index.ts')).toBe(false);
  });

  it('substitutes variables as Compose does', () => {
    expect(interpolate('${A:-x}|${B:-x}|${B-y}|${C}|$$HOME', { A: 'a', B: '' })).toBe(
      'a|x||||$HOME'.replace('||||', '|||').replace('x||', 'x||'),
    );
    expect(interpolate('${A:-x}', {})).toBe('x');
    expect(interpolate('${B-y}', { B: '' })).toBe('');
    expect(interpolate('${A:?set A}|${B?set B}', { A: 'a', B: '' })).toBe('a|');
    expect(() => interpolate('${B:?set B}', { B: '' })).toThrow('B: set B');
    expect(() => interpolate('${C?set C}', {})).toThrow('C: set C');
  });

  it('reads the API and worker of docker-compose.yml and of the k8s base', () => {
    const image = readDockerfile(ROOT);
    const compose = composeServices(read('docker-compose.yml'), image, readmeShell());
    expect(compose.map((s) => [s.name, s.command.join(' ')])).toEqual([
      ['api', 'node --import tsx src/api.ts'],
      ['worker', 'node --import tsx src/worker.ts'],
    ]);
    const k8s = k8sServices(path.join(ROOT, 'k8s/base'), image);
    expect(k8s.map((s) => s.name).sort()).toEqual(['mission-api', 'mission-worker']);
    for (const service of [...compose, ...k8s])
      expect(service.env).toMatchObject({ DATABASE_URL: expect.any(String), REDIS_URL: expect.any(String) });
  });
});

/** What issue 18 found wrong in the shipped files, checked offline (there is no Docker engine here). */
describe('the shipped image and compose file', () => {
  const dockerfile = read('Dockerfile');
  const image = dockerfileTargets(dockerfile);
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { restart?: string; healthcheck?: { start_period?: string }; volumes?: string[] }>;
    volumes: Record<string, unknown>;
  };

  it('keeps installed and built output out of the build context, and everything the Dockerfile copies in', () => {
    const patterns = read('.dockerignore').split('\n');
    for (const heavy of ['node_modules', 'packages/store/node_modules', '.git', 'packages/console/dist', 'test-artifacts'])
      expect(dockerIgnores(patterns, heavy), heavy).toBe(true);
    const copied = dockerfileContextCopies(dockerfile);
    expect(copied).toContain('packages');
    for (const source of copied) expect(dockerIgnores(patterns, source), source).toBe(false);
  });

  it('runs the API unprivileged, and neither service with compilers', () => {
    expect(image.api!.user).toBe('node');
    // The worker is root on purpose: it starts each claude as the agent user (setpriv), which needs root.
    expect(image.worker!.user).toBe('root');
    expect(image.worker!.env.MISSION_AGENT_USER).toBe('mission-agent');
    for (const target of ['api', 'worker'])
      expect(
        image[target]!.aptPackages.filter((p) => ['python3', 'make', 'g++', 'gcc', 'build-essential'].includes(p)),
        target,
      ).toEqual([]);
  });

  it('installs in the worker the Claude Code the tests ran, whose screens and hook calls are recorded', () => {
    const installed = [...dockerfile.matchAll(/npm install -g @anthropic-ai\/claude-code@(\S+)/g)].map((match) => match[1]);
    expect(installed).toEqual([CLAUDE_VERSION]);
    expect(RECORDED_VERSIONS).toContain(CLAUDE_VERSION);
    // What `mission doctor` names as tested is what is recorded.
    expect(TESTED_CLAUDE_VERSIONS).toEqual(RECORDED_VERSIONS);
  });

  it('starts each service with node itself, so the stop signal reaches Mission (no npm in between)', () => {
    expect(image.api!.cmd).toEqual(['node', '--import', 'tsx', 'src/api.ts']);
    expect(image.worker!.cmd).toEqual(['node', '--import', 'tsx', 'src/worker.ts']);
  });

  it("restarts every service, gives the API time to start, and shares the agents' transcripts between workers", () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.restart, name).toBe('unless-stopped');
    expect(compose.services.api!.healthcheck!.start_period).toBeDefined();
    // Named volumes are shared by every replica of `--scale worker=3`: a lost session resumes on another worker.
    const mounts = new Map(compose.services.worker!.volumes!.map((v) => [v.split(':')[1], v.split(':')[0]]));
    expect(mounts.get('/workspace')).toBe('workspace');
    expect(mounts.get('/home/mission-agent/.claude/projects')).toBe('claude-projects');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['workspace', 'claude-projects']));
  });

  // Agents run in the workers' network: a Redis or Postgres they could talk to without a secret would be theirs.
  it("gives Redis and Postgres passwords that only the shell's variables hold, and the services their URLs with them", () => {
    const services = compose.services as Record<string, { command?: string[]; environment?: Record<string, string> }>;
    expect(services.redis!.command!.join(' ')).toMatch(/--requirepass \$\{MISSION_REDIS_PASSWORD:\?/);
    expect(services.postgres!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{MISSION_POSTGRES_PASSWORD:\?/);
    expect(() => composeServices(read('docker-compose.yml'), image, { ...readmeShell(), MISSION_APPROVAL_SECRET: '' })).toThrow(
      /^MISSION_APPROVAL_SECRET: set MISSION_APPROVAL_SECRET/,
    );
    for (const name of ['api', 'worker']) {
      const env = composeServices(read('docker-compose.yml'), image, {
        ...readmeShell(),
        MISSION_REDIS_PASSWORD: 'r3d',
        MISSION_POSTGRES_PASSWORD: 'p9',
      }).find((service) => service.name === name)!.env;
      expect(env, name).toMatchObject({
        REDIS_URL: 'redis://:r3d@redis:6379',
        DATABASE_URL: 'postgres://mission:p9@postgres:5432/mission',
      });
    }
  });
});

const skip = whyNoNetns() ?? (PostgresServer.available() ? undefined : 'PostgreSQL 15 is not installed at /usr/lib/postgresql/15/bin');
if (skip) console.warn(`deployment runs skipped: ${skip}`);

const DEPLOYMENTS: Record<string, { services: () => ServiceLaunch[]; slots: string; permissions: string }> = {
  'docker-compose.yml': {
    services: () => composeServices(read('docker-compose.yml'), readDockerfile(ROOT), readmeShell()),
    slots: read('deploy/slots.yaml'),
    permissions: read('deploy/permissions.yaml'),
  },
  'k8s/base': {
    services: () => k8sServices(path.join(ROOT, 'k8s/base'), readDockerfile(ROOT)),
    slots: read('k8s/base/config/slots.yaml'),
    permissions: read('k8s/base/config/permissions.yaml'),
  },
};

for (const [name, deployment] of Object.entries(DEPLOYMENTS)) {
  describe.skipIf(skip !== undefined)(`Mission as ${name} runs it`, () => {
    let system: DeployedSystem;
    const services = deployment.services();
    const worker = services.find((s) => s.command.join(' ').includes('worker'))!;

    beforeAll(async () => {
      system = await startDeployed(services, deployment, reply);
    }, 240_000);
    afterEach((context) => {
      if (context.task.result?.state === 'fail')
        for (const service of ['api', 'worker'] as const) console.error(`--- ${service}:\n${system?.output(service).slice(-4_000)}`);
    });
    afterAll(async () => {
      await system?.close();
    });

    const api = async <T>(route: string, body?: unknown): Promise<T> => {
      const res = await system.fetch(
        route,
        body === undefined ? {} : { method: route.startsWith('/v1/slots/') ? 'PUT' : 'POST', body: JSON.stringify(body) },
      );
      const json = (await res.json()) as T;
      if (!res.ok) throw new Error(`${route} → ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };
    const ended = (id: string) =>
      eventually(
        async () => ['succeeded', 'failed', 'cancelled', 'timed_out'].includes((await api<{ status: string }>(`/v1/tasks/${id}`)).status),
        90_000,
        `task ${id} to end`,
      );

    it('runs a task on the shipped default slot', async () => {
      const task = await api<{ id: string }>('/v1/tasks', { prompt: `${marker('deploy-task-1')} do the work` });
      await ended(task.id);
      const done = await api<{ status: string; error: string | null }>(`/v1/tasks/${task.id}`);
      expect(done, system.output('worker').slice(-3_000)).toMatchObject({ status: 'succeeded', error: null });
    }, 120_000);

    // KNOWN DEFECT on main (docs/faults.md, F4): the workers of docker-compose.yml and k8s/ have no
    // MISSION_API_URL, so a manager's agent is pointed at 127.0.0.1 inside the worker, where no API runs.
    // While the deployment lacks it, this shows the failure; once it is set (h14-hardening), the tools must be there.
    const apiUrlSet = worker.env.MISSION_API_URL !== undefined;
    it(`${apiUrlSet ? '' : '[KNOWN DEFECT: no MISSION_API_URL on workers] '}gives a manager's agent Mission's tools`, async () => {
      await api(`/v1/slots/manager`, { role: 'manager', cwd: system.workdir });
      const task = await api<{ id: string }>('/v1/tasks', { slot: 'manager', prompt: `${marker('deploy-mgr-1')} list the sessions` });
      await ended(task.id);
      // The stub had the agent call mission_sessions (script.ts); what came back says whether it reached the API.
      const result = system.seen.flatMap((s) => s.request.toolResults).find((r) => r.toolUseId === MISSION_CHECK_ID);
      expect(result, 'the agent called mission_sessions').toBeDefined();
      if (apiUrlSet)
        expect(result, system.output('worker').slice(-3_000)).toMatchObject({
          isError: false,
          content: expect.stringContaining('sessions'),
        });
      else {
        console.warn(
          `${name}: KNOWN DEFECT — the worker has no MISSION_API_URL; its manager agent's mission_sessions call got: ${result!.content.slice(0, 200)}`,
        );
        expect(result!.isError).toBe(true);
      }
    }, 120_000);

    // KNOWN DEFECT on main for docker-compose.yml (F5): no MISSION_PUBLIC_URL, so links are built on HOST (0.0.0.0).
    const publicUrl = services.find((s) => s !== worker)!.env.MISSION_PUBLIC_URL;
    it(`${publicUrl ? '' : '[KNOWN DEFECT: no MISSION_PUBLIC_URL] '}builds approval links on an address people can reach`, async () => {
      const task = await api<{ id: string }>('/v1/tasks', { prompt: `${marker('deploy-appr-1')} run the command` });
      let url: string | undefined;
      await eventually(
        async () => {
          const { approvals } = await api<{ approvals: { owner: { id: string }; url: string }[] }>('/v1/approvals?status=pending');
          url = approvals.find((a) => a.owner.id === task.id)?.url;
          return url !== undefined;
        },
        60_000,
        'the approval',
      );
      await api(`/v1/tasks/${task.id}/cancel`, {});
      const host = new URL(url!).hostname;
      if (publicUrl) expect(host).toBe(new URL(publicUrl).hostname);
      else {
        console.warn(`${name}: KNOWN DEFECT — approval links point at ${url}`);
        expect(host).toBe('0.0.0.0');
      }
    }, 120_000);
  });
}
