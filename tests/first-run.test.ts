import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Session } from '@mission/contracts';
import { claudeHomePaths, claudeHomeProblems, readClaudeHome } from '@mission/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, STUB_API_KEY } from './support/claudeEnv.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { exited, startMission } from './support/npmStart.ts';
import { unusedPort } from './support/ports.ts';
import { waitUntil } from './support/processes.ts';
import { startStubAnthropic, type StubAnthropic } from './support/stubAnthropic.ts';

/**
 * A new user's machine: a HOME claude has never run in, an API key in the shell, and the README's
 * `npm start`. The worker prepares the CLI's home, so the first session reaches its prompt and answers.
 */
describe('first run: npm start with a HOME claude never ran in', () => {
  let stub: StubAnthropic;
  let dir: string;
  let home: string;
  const started: ReturnType<typeof startMission>[] = [];

  beforeAll(async () => {
    stub = await startStubAnthropic();
    stub.respond((request) => ({ text: request.tools.length > 0 ? 'Hello from a fresh home.' : 'side request' }));
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-first-run-')));
    home = path.join(dir, 'home');
    fs.mkdirSync(home);
    fs.mkdirSync(path.join(dir, 'work'));
    fs.writeFileSync(path.join(dir, 'slots.yaml'), 'slots:\n  default:\n    cwd: ./work\n');
  });
  afterAll(async () => {
    for (const { child } of started) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(started.map(({ child }) => exited(child)));
    await stub?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>) {
    const port = await unusedPort();
    const url = `http://127.0.0.1:${port}`;
    const mission = startMission({
      PORT: String(port),
      HOME: home,
      ANTHROPIC_BASE_URL: stub.url,
      MISSION_DATA_DIR: path.join(dir, `data-${port}`),
      MISSION_SLOTS_FILE: path.join(dir, 'slots.yaml'),
      MISSION_CLAUDE_BIN: CLAUDE_BIN,
      MISSION_SHUTDOWN_GRACE_MS: '1000',
      ...env,
    });
    started.push(mission);
    await waitUntil(
      async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200,
      150_000,
      `Mission to be ready:\n${mission.output()}`,
    );
    const call = async <T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${url}${route}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const stop = async () => {
      mission.child.kill('SIGTERM');
      expect(await exited(mission.child)).toEqual({ code: 0, signal: null });
    };
    return { mission, call, stop };
  }

  it('without a key or login, npm start says so', async () => {
    const { mission, stop } = await start({ ANTHROPIC_API_KEY: '' });
    await waitUntil(async () => mission.output().includes('claude has no way to the model'), 30_000, `the warning:\n${mission.output()}`);
    expect(mission.output()).toMatch(
      /claude has no way to the model here: no ANTHROPIC_API_KEY .* set ANTHROPIC_API_KEY, run `claude` once and \/login/,
    );
    await stop();
  }, 180_000);

  it('with a key (under CPU load): the first session reaches idle and answers; the home is prepared, nothing else of it touched', async () => {
    const { mission, call, stop } = await start({ ANTHROPIC_API_KEY: STUB_API_KEY });
    expect(mission.output()).not.toContain('claude has no way to the model');
    const stopLoad = startCpuLoad();
    try {
      const spawned = await call<Session>('POST', '/v1/sessions', { slot: 'default' });
      expect(spawned.status).toBe(201);
      const id = spawned.body.id;
      await waitUntil(
        async () => (await call<Session>('GET', `/v1/sessions/${id}`)).body.state === 'idle',
        90_000,
        `session ${id} to be idle:\n${mission.output()}`,
      );
      const turn = await call<{ state: string; response: string | null }>('POST', `/v1/sessions/${id}/send`, {
        text: 'say hello',
        timeoutMs: 60_000,
      });
      expect(turn).toMatchObject({ status: 200, body: { state: 'idle', response: 'Hello from a fresh home.' } });

      const { config, settings } = await readClaudeHome(claudeHomePaths({ HOME: home }));
      expect(claudeHomeProblems(config, settings, { trustedDirs: [path.join(dir, 'work')], apiKey: STUB_API_KEY })).toEqual([]);
      expect(settings).toEqual({ disableAutoMode: 'disable' });
      expect((await call('POST', `/v1/sessions/${id}/kill`)).status).toBe(200);
    } finally {
      await stopLoad();
    }
    await stop();
  }, 300_000);
});
