import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MissionEvent, Session } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesIn, waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const json = { 'content-type': 'application/json' };

async function spawnSession(
  system: TestSystem,
): Promise<{ status: number; body: Session & { error?: { code: string; message: string } } }> {
  const res = await system.fetch('/v1/sessions', { method: 'POST', headers: json, body: JSON.stringify({ slot: 'default' }) });
  return { status: res.status, body: (await res.json()) as Session & { error?: { code: string; message: string } } };
}

describe('a worker allowed no sessions (MISSION_WORKER_MAX_SESSIONS=0)', () => {
  let system: TestSystem;
  /** How long the spawn waits for a worker (MISSION_SESSION_PICKUP_TIMEOUT_MS): none ever takes it here. */
  const PICKUP_TIMEOUT_MS = 3_000;
  beforeAll(async () => {
    system = await startTestSystem({
      env: { MISSION_WORKER_MAX_SESSIONS: '0', MISSION_SESSION_PICKUP_TIMEOUT_MS: String(PICKUP_TIMEOUT_MS) },
    });
    await system.core.slots.put('default', { cwd: os.tmpdir() });
  });
  afterAll(() => system?.close());

  it('never takes a spawn job: the spawn answers 503 and the session never had a worker', async () => {
    const spawned = await spawnSession(system);
    expect(spawned.status).toBe(503);
    expect(spawned.body.error?.message).toMatch(new RegExp(`^no worker took the session within ${PICKUP_TIMEOUT_MS / 1000} s`));
    const [session] = await system.core.sessions.list({});
    expect(session).toMatchObject({ state: 'lost', ownerWorker: null });
  }, 60_000);
});

describe('a session whose claude never comes up (MISSION_SESSION_START_TIMEOUT_MS)', () => {
  let system: TestSystem;
  let dir: string;
  const START_TIMEOUT_MS = 3_000;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-hang-'));
    const hang = path.join(dir, 'claude-that-hangs');
    // Starts, prints nothing a screen parser would take for Claude Code's prompt, and waits forever.
    fs.writeFileSync(hang, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    system = await startTestSystem({ env: { MISSION_CLAUDE_BIN: hang, MISSION_SESSION_START_TIMEOUT_MS: String(START_TIMEOUT_MS) } });
    await system.core.slots.put('default', { cwd: dir });
  });
  afterAll(async () => {
    await system?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends at its deadline, exited, with an error event saying why', async () => {
    const spawned = await spawnSession(system);
    expect(spawned.status).toBe(201);
    expect(spawned.body.state).toBe('starting');
    const id = spawned.body.id;
    const ending = async () =>
      (await system.core.events.list(id, 0, { limit: 100 })).some((e) => e.type === 'state' && typeof e.payload.reason === 'string');
    await waitUntil(ending, START_TIMEOUT_MS + 30_000, 'the session to end with a reason');
    expect((await system.core.sessions.get(id)).state).toBe('exited');
    const log = await system.core.events.list(id, 0, { limit: 100 });
    const error = log.find((e): e is Extract<MissionEvent, { type: 'error' }> => e.type === 'error');
    expect(error?.payload).toEqual({
      code: 'start_timeout',
      message: `claude did not start within ${START_TIMEOUT_MS} ms (MISSION_SESSION_START_TIMEOUT_MS); the session was ended`,
    });
    const ended = log.find((e) => e.type === 'state' && e.payload.reason === error?.payload.message);
    expect(ended?.payload).toMatchObject({ state: 'exited', reason: error?.payload.message });
    const started = log.find((e) => e.type === 'state' && e.payload.state === 'starting')!;
    expect(Date.parse(ended!.at) - Date.parse(started.at)).toBeGreaterThanOrEqual(START_TIMEOUT_MS - 50);
    await waitUntil(() => processesIn(dir).length === 0, 10_000, 'the hung process to be gone');
  }, 90_000);
});
