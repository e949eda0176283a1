import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lastCostState } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { CLI_FIRST_REQUEST_MS, processesIn, waitUntil } from './support/processes.ts';
import { promptAsked } from './support/stubAnthropic.ts';
import { FLEET_ENV, jsonApi, manageWorkers, startWorkerProcess, type WorkerProcess } from './support/workerProcess.ts';
import { type PrivateRedis, startPrivateRedis } from '../packages/cli/src/privateRedis.ts';

interface TaskJson {
  id: string;
  status: string;
  result: string | null;
  error: string | null;
  workerId: string | null;
  attempts: number;
}
interface SessionJson {
  id: string;
  state: string;
  ownerWorker: string | null;
  claudeSessionId: string | null;
}
interface WorkerJson {
  id: string;
  state: string;
  capacity: number;
  runningTasks: number;
  liveSessions: number;
  heartbeatAgeMs: number;
}
interface EventJson {
  type: string;
  payload: { state?: string; reason?: string; code?: string; message?: string };
}

describe('a fleet of worker processes', () => {
  let bed: ClaudeTestBed;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    bed = await startClaudeTestBed({ inProcessWorker: false, env: FLEET_ENV });
  });
  manageWorkers(workers, () => bed?.close());

  const api = jsonApi(() => bed.system);
  const submit = (prompt: string, extra: Record<string, unknown> = {}) =>
    api<TaskJson>('/v1/tasks', { method: 'POST', body: { prompt, ...extra } });
  const task = (id: string) => api<TaskJson>(`/v1/tasks/${id}`);
  const session = (id: string) => api<SessionJson>(`/v1/sessions/${id}`);
  const listWorkers = async () => (await api<{ workers: WorkerJson[] }>('/v1/workers')).workers;
  const events = async (ownerId: string): Promise<EventJson[]> =>
    (await bed.system.core.events.list(ownerId)).map((e) => ({ type: e.type, payload: e.payload as EventJson['payload'] }));
  /** Rows are updated first and their events stored after: waits until the owner's last state event is `state`. */
  const untilLastState = (ownerId: string, state: string) =>
    waitUntil(
      async () => (await events(ownerId)).filter((e) => e.type === 'state').at(-1)?.payload.state === state,
      5_000,
      `the ${state} event`,
    );
  const startWorker = async (id: string, env: Record<string, string> = {}) => {
    const worker = await startWorkerProcess(bed.system, id, { MISSION_WORKER_CONCURRENCY: '2', ...env });
    workers.push(worker);
    return worker;
  };
  const workerNamed = (id: string | null) => workers.find((w) => w.id === id)!;
  const promptsSeen = (prompt: string) => bed.stub.requests.filter((r) => r.lastUserText === prompt).length;

  it('registers each worker and spreads tasks across them', async () => {
    await startWorker('fleet-a');
    await startWorker('fleet-b');
    const registry = await listWorkers();
    expect(registry.map((w) => w.id).sort()).toEqual(['fleet-a', 'fleet-b']);
    for (const w of registry) {
      expect(w).toMatchObject({ state: 'active', capacity: 2, runningTasks: 0, liveSessions: 0 });
      expect(w.heartbeatAgeMs).toBeLessThan(2_500);
    }

    bed.stub.respond((request) =>
      request.lastUserText.startsWith('spread ') ? { text: `answer to ${request.lastUserText}`, chunks: 4, chunkDelayMs: 250 } : undefined,
    );
    const submitted = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(`spread ${i}`)));
    await waitUntil(async () => (await listWorkers()).every((w) => w.runningTasks > 0), 20_000, 'both workers to run tasks at once');
    await waitUntil(
      async () => (await Promise.all(submitted.map((t) => task(t.id)))).every((t) => t.status === 'succeeded'),
      60_000,
      'every task to succeed',
    );
    const ended = await Promise.all(submitted.map((t) => task(t.id)));
    expect(ended.map((t) => t.result)).toEqual(submitted.map((_, i) => `answer to spread ${i}`));
    expect(new Set(ended.map((t) => t.workerId))).toEqual(new Set(['fleet-a', 'fleet-b']));
    expect(ended.every((t) => t.attempts === 1)).toBe(true);
  });

  it("never runs more of a slot's tasks at once than its maxConcurrency, across workers", async () => {
    await api(`/v1/slots/narrow`, { method: 'PUT', body: { cwd: bed.workdir, env: bed.claude.env, maxConcurrency: 1 } });
    bed.stub.respond((request) =>
      request.lastUserText.startsWith('narrow ') ? { text: 'narrow done', chunks: 3, chunkDelayMs: 200 } : undefined,
    );
    const submitted = await Promise.all([0, 1, 2].map((i) => submit(`narrow ${i}`, { slot: 'narrow' })));
    let most = 0;
    await waitUntil(
      async () => {
        const { tasks } = await api<{ tasks: TaskJson[] }>('/v1/tasks?slot=narrow');
        most = Math.max(most, tasks.filter((t) => t.status === 'running').length);
        return tasks.every((t) => t.status === 'succeeded');
      },
      60_000,
      'the slot tasks to succeed one at a time',
    );
    expect(most).toBe(1);
    const ended = await Promise.all(submitted.map((t) => task(t.id)));
    const spans = ended
      .map(
        (t) =>
          [
            Date.parse((t as TaskJson & { startedAt: string }).startedAt),
            Date.parse((t as TaskJson & { finishedAt: string }).finishedAt),
          ] as const,
      )
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it('a worker given MISSION_WORKER_SLOTS takes only those slots', async () => {
    await startWorker('fleet-special', { MISSION_WORKER_SLOTS: 'special' });
    expect((await listWorkers()).find((w) => w.id === 'fleet-special')).toMatchObject({ slots: ['special'] });
    await api(`/v1/slots/special`, { method: 'PUT', body: { cwd: bed.workdir, env: bed.claude.env } });
    bed.stub.respond((request) =>
      request.lastUserText.startsWith('pinned ') ? { text: 'pinned done', chunks: 2, chunkDelayMs: 200 } : undefined,
    );
    const general = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => submit(`pinned ${i}`)));
    const special = await Promise.all([0, 1].map((i) => submit(`pinned special ${i}`, { slot: 'special' })));
    const all = [...general, ...special];
    await waitUntil(
      async () => (await Promise.all(all.map((t) => task(t.id)))).every((t) => t.status === 'succeeded'),
      60_000,
      'every task to succeed',
    );
    const ranOn = async (list: TaskJson[]) => (await Promise.all(list.map((t) => task(t.id)))).map((t) => t.workerId);
    expect(await ranOn(general)).not.toContain('fleet-special');
    const specialWorker = workerNamed('fleet-special');
    specialWorker.child.kill('SIGTERM');
    expect(await specialWorker.exited).toBe(0);
  });

  it('kill -9 mid-task: a prompt that reached Claude is not run again; the task fails with worker_lost', async () => {
    bed.stub.respond((request) =>
      request.lastUserText === 'never twice' ? { text: 'slow '.repeat(100), chunks: 100, chunkDelayMs: 100 } : undefined,
    );
    const submitted = await submit('never twice');
    await waitUntil(async () => (await task(submitted.id)).status === 'running', 10_000, 'the task to run');
    await waitUntil(() => promptsSeen('never twice') === 1, CLI_FIRST_REQUEST_MS, 'the prompt to reach the API');
    const victim = workerNamed((await task(submitted.id)).workerId);
    victim.child.kill('SIGKILL');
    await victim.exited;

    await waitUntil(async () => (await task(submitted.id)).status === 'failed', 20_000, 'the task to be recovered');
    const failed = await task(submitted.id);
    expect(failed.error).toBe(
      `the worker running it (${victim.id}) was lost; not retried because the prompt had already reached Claude (retry: never)`,
    );
    await untilLastState(submitted.id, 'failed');
    const log = await events(submitted.id);
    expect(log.filter((e) => e.type === 'state').map((e) => e.payload.state)).toEqual(['queued', 'running', 'failed']);
    expect(log.find((e) => e.type === 'error')?.payload).toMatchObject({ code: 'worker_lost' });
    expect((await listWorkers()).find((w) => w.id === victim.id)?.state).toBe('lost');
    // The orphaned claude loses its stdout pipe and ends; and nobody ran the prompt a second time.
    await waitUntil(() => processesIn(bed.workdir).length === 0, 15_000, 'the orphaned claude to end');
    expect(promptsSeen('never twice')).toBe(1);
  });

  it('kill -9 mid-task: a task marked retry "safe" runs again on another worker; its cost is both runs\'', async () => {
    await startWorker('fleet-c');
    let calls = 0;
    bed.stub.respond((request) => {
      if (!request.conversation.includes('safe to repeat') || request.tools.length === 0) return undefined;
      calls += 1;
      // The first run looks around (a request that costs), then answers slowly: its worker is killed meanwhile.
      if (calls === 1) return { text: 'Looking around.', toolUses: [{ name: 'Glob', input: { pattern: '*.md' } }] };
      return calls === 2 ? { text: 'slow '.repeat(300), chunks: 300, chunkDelayMs: 100 } : { text: 'Done the second time.' };
    });
    const submitted = await submit('safe to repeat', { retry: 'safe', maxAttempts: 2 });
    await waitUntil(() => promptsSeen('safe to repeat') === 1, CLI_FIRST_REQUEST_MS, 'the prompt to reach the API');
    // What the first run's claude has cost, as its metrics told, is on the task before its worker goes.
    const costOf = async () => (await bed.system.core.tasks.get(submitted.id)).costUsd;
    await waitUntil(async () => ((await costOf()) ?? 0) > 0, 20_000, "the first run's cost");
    const firstRun = (await costOf())!;
    const victim = workerNamed((await task(submitted.id)).workerId);
    victim.child.kill('SIGKILL');

    await waitUntil(async () => (await task(submitted.id)).status === 'succeeded', 30_000, 'the task to run again and succeed');
    const ended = await task(submitted.id);
    expect(ended).toMatchObject({ result: 'Done the second time.', attempts: 2 });
    // The second run, a new Claude session, counts on from the first's: the task's cost is both runs'.
    const secondRun = lastCostState(bed.claude, (await bed.system.core.tasks.get(submitted.id)).claudeSessionId!)!;
    expect((await costOf())!).toBeCloseTo(firstRun + secondRun.totalCostUSD, 12);
    expect(ended.workerId).not.toBe(victim.id);
    await untilLastState(submitted.id, 'succeeded');
    const states = (await events(submitted.id)).filter((e) => e.type === 'state');
    expect(states.map((e) => e.payload.state)).toEqual(['queued', 'running', 'queued', 'running', 'succeeded']);
    expect(states[2]!.payload.reason).toBe(
      `the worker running it (${victim.id}) was lost; re-queued to run again (retry: safe, attempt 2 of 2)`,
    );
    expect(promptsSeen('safe to repeat')).toBe(2);
  });

  it('kill -9 a worker holding a PTY session: the session is lost, then resumes on another worker with its conversation', async () => {
    await startWorker('fleet-d');
    bed.stub.respond((request) => {
      if (request.lastUserText === 'Remember the word: tangerine.') return { text: 'I will remember tangerine.' };
      if (request.lastUserText === 'Keep working.') return { text: 'working '.repeat(100), chunks: 100, chunkDelayMs: 100 };
      if (request.lastUserText === 'Which word did I ask you to remember?') {
        const history = JSON.stringify(request.body.messages);
        return { text: history.includes('tangerine') ? 'You asked me to remember tangerine.' : 'I have no earlier conversation.' };
      }
      return undefined;
    });
    const spawned = await api<SessionJson>('/v1/sessions', { method: 'POST', body: { slot: 'default' } });
    const first = await api<{ response: string }>(`/v1/sessions/${spawned.id}/send`, {
      method: 'POST',
      body: { text: 'Remember the word: tangerine.', timeoutMs: 30_000 },
    });
    expect(first.response).toContain('I will remember tangerine.');
    const { claudeSessionId, ownerWorker } = await session(spawned.id);
    // A message for the session, queued while it works: it can never be delivered once the worker dies.
    const working = api(`/v1/sessions/${spawned.id}/send`, { method: 'POST', body: { text: 'Keep working.', timeoutMs: 30_000 } }).catch(
      () => 'worker gone',
    );
    await promptAsked(bed.stub, 'Keep working.', 'the long turn to start');
    const message = await api<{ id: string; status: string }>(`/v1/sessions/${spawned.id}/messages`, {
      method: 'POST',
      body: { text: 'For later.' },
    });
    expect(message.status).toBe('queued');
    const victim = workerNamed(ownerWorker);
    victim.child.kill('SIGKILL');

    await waitUntil(async () => (await session(spawned.id)).state === 'lost', 15_000, 'the session to be reported lost');
    await untilLastState(spawned.id, 'lost');
    const lost = (await events(spawned.id)).filter((e) => e.type === 'state').at(-1)!;
    expect(lost.payload.reason).toMatch(new RegExp(`^the worker holding it \\(${victim.id}\\) was lost`));
    await waitUntil(() => processesIn(bed.workdir).length === 0, 10_000, 'the PTY claude to end with its worker');
    expect(await working).toBe('worker gone');
    const { messages } = await api<{ messages: { id: string; status: string; error: string | null }[] }>(
      `/v1/sessions/${spawned.id}/messages`,
    );
    // Queued behind the long turn, or (on a slow machine) typed in before that turn was seen working: never answered either way.
    const failed = messages.find((m) => m.id === message.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(
      new RegExp(`^the session ended before (the message was delivered|it answered the message): its worker \\(${victim.id}\\) was lost$`),
    );

    const resumed = await api<SessionJson>(`/v1/sessions/${spawned.id}/resume`, { method: 'POST' });
    expect(resumed.ownerWorker).not.toBe(victim.id);
    expect(resumed.claudeSessionId).toBe(claudeSessionId);
    const second = await api<{ response: string }>(`/v1/sessions/${spawned.id}/send`, {
      method: 'POST',
      body: { text: 'Which word did I ask you to remember?', timeoutMs: 30_000 },
    });
    expect(second.response).toContain('You asked me to remember tangerine.');
    await api(`/v1/sessions/${spawned.id}/kill`, { method: 'POST' });
    const again = await bed.system.fetch(`/v1/sessions/${spawned.id}/resume`, { method: 'POST' });
    expect(again.status).toBe(200);
    await api(`/v1/sessions/${spawned.id}/kill`, { method: 'POST' });
  });

  it('resume refuses a session that is still running, with a clear 409', async () => {
    const spawned = await api<SessionJson>('/v1/sessions', { method: 'POST', body: { slot: 'default' } });
    const res = await bed.system.fetch(`/v1/sessions/${spawned.id}/resume`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/only a lost or exited session can be resumed/);
    await api(`/v1/sessions/${spawned.id}/kill`, { method: 'POST' });
  });
});

describe('one worker process on a Redis that restarts', () => {
  let bed: ClaudeTestBed;
  let redis: PrivateRedis;
  let redisDir: string;
  let worker: WorkerProcess;

  beforeAll(async () => {
    redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-redis-'));
    redis = await startPrivateRedis(redisDir);
    bed = await startClaudeTestBed({ inProcessWorker: false, env: { ...FLEET_ENV, REDIS_URL: redis.url } });
    worker = await startWorkerProcess(bed.system, 'solo', { MISSION_WORKER_CONCURRENCY: '1' });
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') console.error(`--- worker log:\n${worker.output().slice(-4_000)}`);
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.exited;
    await bed?.close();
    await redis?.stop();
    fs.rmSync(redisDir, { recursive: true, force: true });
  });

  const submit = async (prompt: string, priority?: number) => {
    const res = await bed.system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, priority }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as TaskJson & { startedAt: string | null };
  };
  const task = async (id: string) => (await (await bed.system.fetch(`/v1/tasks/${id}`)).json()) as TaskJson & { startedAt: string };

  it('runs a higher-priority task first', async () => {
    bed.stub.respond((request) => (request.lastUserText === 'blocker' ? { text: 'unblocked', chunks: 5, chunkDelayMs: 200 } : undefined));
    const blocker = await submit('blocker');
    await waitUntil(async () => (await task(blocker.id)).status === 'running', 10_000, 'the blocker to run');
    const low = await submit('low priority', 10);
    const high = await submit('high priority', 90);
    await waitUntil(async () => (await task(low.id)).status === 'succeeded', 30_000, 'both to run');
    expect(Date.parse((await task(high.id)).startedAt)).toBeLessThan(Date.parse((await task(low.id)).startedAt));
  });

  it('loses nothing when Redis restarts empty mid-run: running tasks finish, queued ones are enqueued again', async () => {
    bed.stub.respond((request) =>
      request.lastUserText.startsWith('through the restart ')
        ? { text: `answer to ${request.lastUserText}`, chunks: 4, chunkDelayMs: 250 }
        : undefined,
    );
    const submitted: TaskJson[] = [];
    for (let i = 0; i < 4; i++) submitted.push(await submit(`through the restart ${i}`));
    await waitUntil(async () => (await task(submitted[0]!.id)).status === 'running', 10_000, 'the first task to run');

    const port = Number(new URL(redis.url).port);
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    redis = await startPrivateRedis(redisDir, port);

    await waitUntil(
      async () => (await Promise.all(submitted.map((t) => task(t.id)))).every((t) => t.status === 'succeeded'),
      60_000,
      'every task to succeed after the restart',
    );
    const ended = await Promise.all(submitted.map((t) => task(t.id)));
    expect(ended.map((t) => t.result)).toEqual(submitted.map((_, i) => `answer to through the restart ${i}`));
    for (let i = 0; i < 4; i++) expect(bed.stub.requests.filter((r) => r.lastUserText === `through the restart ${i}`)).toHaveLength(1);
    const registry = (await (await bed.system.fetch('/v1/workers')).json()) as { workers: WorkerJson[] };
    expect(registry.workers.map((w) => [w.id, w.state])).toEqual([['solo', 'active']]);
  });

  it('SIGTERM drains: the worker shows draining, finishes its running task, reports its session lost and leaves the registry', async () => {
    bed.stub.respond((request) =>
      request.lastUserText === 'finish while draining' ? { text: 'finished while draining', chunks: 5, chunkDelayMs: 200 } : undefined,
    );
    const spawned = (await (
      await bed.system.fetch('/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ).json()) as SessionJson;
    expect(spawned.ownerWorker).toBe('solo');
    const running = await submit('finish while draining');
    await promptAsked(bed.stub, 'finish while draining');

    worker.child.kill('SIGTERM');
    await waitUntil(
      async () => {
        const { workers } = (await (await bed.system.fetch('/v1/workers')).json()) as { workers: WorkerJson[] };
        return workers[0]?.state === 'draining';
      },
      5_000,
      'the registry to show the worker draining',
    );
    expect(await worker.exited).toBe(0);

    expect(await task(running.id)).toMatchObject({ status: 'succeeded', result: 'finished while draining' });
    const session = (await (await bed.system.fetch(`/v1/sessions/${spawned.id}`)).json()) as SessionJson;
    expect(session.state).toBe('lost');
    const lost = (await bed.system.core.events.list(spawned.id)).filter((e) => e.type === 'state').at(-1)!;
    expect((lost.payload as { reason: string }).reason).toMatch(/^the worker shut down; resume it with POST/);
    expect(((await (await bed.system.fetch('/v1/workers')).json()) as { workers: WorkerJson[] }).workers).toEqual([]);
  });
});
