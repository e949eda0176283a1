import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tables } from '@mission/store';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { prepareClaudeHome } from './support/claudeEnv.ts';
import { processesIn, waitUntil } from './support/processes.ts';

const json = { 'content-type': 'application/json' };

/** An environment variable of a live process, from /proc/<pid>/environ. */
function environOf(pid: number, name: string): string | undefined {
  const entries = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return entries.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1);
}

/**
 * The warm pool's own rules, on the real claude CLI against the stub API (the task suites run with warm
 * agents too: tasks-e2e, approvals-headless): settings followed, idle agents recycled, roles whose agents
 * need a per-task token kept cold, and nothing left running.
 */
describe('warm agents (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  const dirs: string[] = [];
  const slotDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-warm-'));
    dirs.push(dir);
    return dir;
  };
  const put = async (route: string, body: unknown) => {
    const res = await bed.system.fetch(route, { method: 'PUT', headers: json, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const run = async (slot: string, prompt: string) => {
    const res = await bed.system.fetch('/v1/tasks', { method: 'POST', headers: json, body: JSON.stringify({ slot, prompt }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return bed.system.core.tasks.waitForEnd(id, 60_000);
  };
  const ready = async (slot: string) => {
    const pools = bed.system.worker!.warmPools;
    await pools.reconcile();
    await waitUntil(() => pools.ready(slot) > 0, 30_000, `a warm agent of slot '${slot}'`);
  };

  beforeAll(async () => {
    bed = await startClaudeTestBed();
  }, 120_000);
  afterAll(async () => {
    await bed?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a slot changed while its agent waits: the agent is ended, the task starts cold, and the new agent has the new settings', async () => {
    const dir = slotDir();
    const home = prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [dir] });
    await put('/v1/slots/changing', { cwd: dir, env: { ...home.env, WARM_MARK: 'first' }, warmPool: { size: 1 } });
    await ready('changing');
    const [first] = processesIn(dir);
    expect(environOf(first!, 'WARM_MARK')).toBe('first');

    await put('/v1/slots/changing', { cwd: dir, env: { ...home.env, WARM_MARK: 'second' }, warmPool: { size: 1 } });
    bed.stub.enqueueFor('after the change', { text: 'done cold' });
    const task = await run('changing', 'after the change');
    expect(task).toMatchObject({ status: 'succeeded', result: 'done cold' });
    expect(bed.system.worker!.warmPools.handedOut('changing')).toBe(0);
    await waitUntil(() => !processesIn(dir).includes(first!), 5_000, 'the agent with the old settings to end');

    await ready('changing');
    const [second] = processesIn(dir);
    expect(environOf(second!, 'WARM_MARK')).toBe('second');
    bed.stub.enqueueFor('with the new settings', { text: 'done warm' });
    expect(await run('changing', 'with the new settings')).toMatchObject({ status: 'succeeded', result: 'done warm' });
    expect(bed.system.worker!.warmPools.handedOut('changing')).toBe(1);
    // The pool refills after the hand-out: its new agent writes into the home, so it is switched off and gone first.
    await put('/v1/slots/changing', { cwd: dir, env: home.env });
    await bed.system.worker!.warmPools.reconcile();
    await waitUntil(() => processesIn(dir).length === 0, 10_000, 'the refilled agent of the slot to end');
    await home.remove();
  }, 120_000);

  it('the pool refills once the agent handed a task has the model’s answer: no claude starts beside it while it prepares its request', async () => {
    const dir = slotDir();
    const home = prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [dir] });
    const pools = bed.system.worker!.warmPools;
    await put('/v1/slots/refilling', { cwd: dir, env: home.env, warmPool: { size: 1 } });
    await ready('refilling');
    const waiting = processesIn(dir);
    let answer!: () => void;
    bed.stub.enqueueFor('held answer', { text: 'done warm', heldUntil: new Promise<void>((resolve) => (answer = resolve)) });
    const task = run('refilling', 'held answer');
    await waitUntil(() => bed.stub.requests.some((request) => request.lastUserText === 'held answer'), 30_000, 'the task’s model request');
    // A heartbeat meanwhile brings the pools in line with their slots: it finds this one full.
    await pools.reconcile();
    // Its request is out and unanswered: nothing of the slot's was started beside the agent handed the task.
    expect(pools.handedOut('refilling')).toBe(1);
    expect(processesIn(dir)).toEqual(waiting);
    answer();
    expect(await task).toMatchObject({ status: 'succeeded', result: 'done warm' });
    await waitUntil(() => pools.ready('refilling') === 1, 30_000, 'the agent that refills the pool');
    expect(processesIn(dir)).not.toEqual(expect.arrayContaining(waiting));
    await put('/v1/slots/refilling', { cwd: dir, env: home.env });
    await pools.reconcile();
    await waitUntil(() => processesIn(dir).length === 0, 10_000, 'the refilled agent of the slot to end');
    await home.remove();
  }, 120_000);

  it('an agent waiting past idleSeconds is ended and replaced by a fresh one', async () => {
    const dir = slotDir();
    await put('/v1/slots/idle', { cwd: dir, env: bed.claude.env, warmPool: { size: 1, idleSeconds: 10 } });
    await ready('idle');
    const [first] = processesIn(dir);
    await waitUntil(() => !processesIn(dir).includes(first!), 30_000, 'the idle agent to be ended');
    await waitUntil(() => processesIn(dir).length === 1, 30_000, 'a fresh agent in its place');
    expect(processesIn(dir)[0]).not.toBe(first);
    expect(bed.system.worker!.warmPools.handedOut('idle')).toBe(0);
  }, 120_000);

  it('a role with Mission tools gets no warm agents (its token is minted for the task): its tasks start cold with their token', async () => {
    const dir = slotDir();
    await put('/v1/roles/lister', { missionTools: ['mission_sessions'] });
    await put('/v1/slots/lister', { role: 'lister', cwd: dir, env: bed.claude.env, warmPool: { size: 1 } });
    await bed.system.worker!.warmPools.reconcile();
    expect(bed.system.worker!.warmPools.ready('lister')).toBe(0);
    expect(processesIn(dir)).toEqual([]);
    bed.stub.enqueueFor('list the sessions', { text: 'listed' });
    const task = await run('lister', 'list the sessions');
    expect(task).toMatchObject({ status: 'succeeded', result: 'listed' });
    // Its agent got a child token of its own, minted for the task (and revoked when it ended).
    const tokens = await bed.system.core.database.db.select().from(tables.apiTokens).where(eq(tables.apiTokens.taskId, task!.id));
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.revokedAt).not.toBeNull();
    expect(bed.system.worker!.warmPools.handedOut('lister')).toBe(0);
  }, 120_000);

  it('closing the pools (the worker stopping) ends every waiting agent', async () => {
    const dir = slotDir();
    await put('/v1/slots/closing', { cwd: dir, env: bed.claude.env, warmPool: { size: 2 } });
    await bed.system.worker!.warmPools.reconcile();
    await waitUntil(() => bed.system.worker!.warmPools.ready('closing') === 2, 30_000, 'two warm agents');
    expect(processesIn(dir)).toHaveLength(2);
    bed.system.worker!.warmPools.close();
    await waitUntil(() => processesIn(dir).length === 0, 5_000, 'the warm agents to end');
  }, 120_000);
});
