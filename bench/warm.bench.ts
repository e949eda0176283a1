import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLAUDE_BIN, prepareClaudeHome } from '../tests/support/claudeEnv.ts';
import { isRunning, processesIn, untilQuiet, waitUntil } from '../tests/support/processes.ts';
import { readSse } from '../tests/support/sse.ts';
import { startStubAnthropic } from '../tests/support/stubAnthropic.ts';
import { startWorkerProcess } from '../tests/support/workerProcess.ts';
import { type BenchSystem, startBenchSystem } from './lib/system.ts';
import { ms, ratio, report, summarize } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';

/** Tasks per side, taken in turn (cold, warm, cold, …) so both see the same machine: 4 in the quick run, 20 with `--full`. */
const RUNS = Number(process.env.BENCH_WARM_RUNS ?? (process.argv.includes('--full') ? 20 : 4));
/** A warm agent counts as ready once its CPU time has not grown for this long (its start-up is over). */
const SETTLED_MS = 300;

/**
 * Warm agents against cold starts, in one run: submit → the first Messages API request the stub sees, for a
 * slot with a warm pool and one without (same settings otherwise), and Mission's own share of the warm path
 * (submit → prompt written to the warm agent, from the worker's debug log; the worker in a process of its own, as
 * deployed). Also the memory of a waiting warm agent (how long a spawn blocks the worker's event loop: the `spawn`
 * benchmark).
 */
export async function benchWarm(): Promise<void> {
  const stub = await startStubAnthropic();
  const firstRequestAt = new Map<string, number>();
  stub.respond((request) => {
    const marker = /bench-(\S+)/.exec(request.lastUserText)?.[0];
    if (marker && !firstRequestAt.has(marker)) firstRequestAt.set(marker, Date.now());
    return { text: 'ok' };
  });
  const dirs = {
    cold: fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-cold-')),
    warm: fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-warm-')),
  };
  const home = prepareClaudeHome({ apiUrl: stub.url, trustedDirs: Object.values(dirs) });
  // Agents as the bench's own user, as in the tests: no agent user to set up on the machine. The worker runs in a
  // process of its own, as deployed: the API's work (and the bench's polling) does not share its event loop.
  const mission = await startBenchSystem({ MISSION_CLAUDE_BIN: CLAUDE_BIN }, { inProcessWorker: false });
  const worker = await startWorkerProcess(mission, 'warm-bench', { LOG_LEVEL: 'debug' });
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await mission.fetch(route, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ id: string; status: string }>;
  };
  try {
    await call('PUT', '/v1/slots/cold', { cwd: dirs.cold, env: home.env });
    await call('PUT', '/v1/slots/warm', { cwd: dirs.warm, env: home.env, warmPool: { size: 1, idleSeconds: 3_600 } });

    const sides = { cold: [] as number[], warm: [] as number[] };
    const missionShare = { cold: [] as number[], warm: [] as number[] };
    const claimed: number[] = [];
    let memoryKb: number[] = [];
    let lastWarmAgent: number | undefined;
    for (let i = 0; i < RUNS * 2; i++) {
      const side = i % 2 === 0 ? 'cold' : 'warm';
      // Before a task of either side: the agent of the last warm task gone, and the one started in its place done
      // starting (as a pool's agent is when tasks come now and then). A cold start measured while the pool's new agent
      // starts beside it shares the two cores with that start, which the warm side never does.
      if (lastWarmAgent !== undefined) {
        const gone = lastWarmAgent;
        await waitUntil(() => !isRunning(gone), 60_000, `the last warm agent (${gone}) to end`);
      }
      const waiting = await settledAgents(dirs.warm);
      if (memoryKb.length === 0) memoryKb = waiting.map(rssKb);
      const marker = `bench-${side}-${i}`;
      const submitted = Date.now();
      const task = await call('POST', '/v1/tasks', { slot: side, prompt: `${marker} say ok` });
      await waitUntil(
        async () => ['succeeded', 'failed'].includes((await call('GET', `/v1/tasks/${task.id}`)).status),
        60_000,
        `task ${task.id} to end`,
      );
      const first = firstRequestAt.get(marker);
      if (first === undefined) throw new Error(`the stub never saw the prompt of ${marker}`);
      sides[side].push(first - submitted);
      const written = promptWritten(worker.output(), task.id);
      if (written.warm !== (side === 'warm')) throw new Error(`task ${task.id} of the ${side} slot ran ${written.warm ? 'warm' : 'cold'}`);
      missionShare[side].push(written.time - submitted);
      if (side === 'warm') {
        lastWarmAgent = written.pid;
        claimed.push((await runningAt(mission, task.id)) - submitted);
      }
    }
    const cold = summarize(sides.cold);
    const warm = summarize(sides.warm);
    const share = summarize(missionShare.warm);
    const coldShare = summarize(missionShare.cold);
    readGoal(goals.warmVsCold, warm.p50 / cold.p50);
    readGoal(goals.warmShare, share.p50);
    report(
      `submit → first Messages API request, warm agent vs cold start (real claude CLI, stub API; ${RUNS} tasks each, taken in turn; goal warm ≤ ${goals.warmVsCold.limit}× cold, Mission's share ≤ ${goals.warmShare.limit} ms p50)`,
      ['path', 'p50', 'p99', 'vs cold (p50)'],
      [
        ['cold start', ms(cold.p50), ms(cold.p99), '1×'],
        ['warm agent', ms(warm.p50), ms(warm.p99), ratio(warm.p50, cold.p50)],
        ["warm: Mission's share (submit → prompt written)", ms(share.p50), ms(share.p99), ''],
        ['  of which submit → claimed (its running event stored)', ms(summarize(claimed).p50), ms(summarize(claimed).p99), ''],
        ['cold: submit → prompt written (incl. spawn)', ms(coldShare.p50), ms(coldShare.p99), ''],
      ],
    );
    const totalKb = memoryKb.reduce((a, b) => a + b, 0);
    report(
      'memory of one waiting warm agent (VmRSS of its processes)',
      ['processes', 'RSS'],
      [[memoryKb.length, `${(totalKb / 1024).toFixed(1)} MB`]],
    );
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await mission.close();
    await stub.close();
    home.remove();
    for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The worker's debug line for a task's prompt written to its agent (pino's `time`: ms since the epoch, as Date.now()). */
function promptWritten(output: string, taskId: string): { time: number; warm: boolean; pid: number } {
  for (const line of output.split('\n')) {
    if (!line.includes('prompt written to the agent') || !line.includes(taskId)) continue;
    const entry = JSON.parse(line) as { taskId: string; time: number; warm: boolean; pid: number };
    if (entry.taskId === taskId) return entry;
  }
  throw new Error(`the worker did not log the prompt of task ${taskId} as written`);
}

/** When a task's `running` event was stored (the claim), on the database's clock (this machine's). */
async function runningAt(mission: BenchSystem, taskId: string): Promise<number> {
  const messages = await readSse(await mission.fetch(`/v1/tasks/${taskId}/events?follow=false`));
  for (const message of messages) {
    const event = JSON.parse(message.data) as { type: string; at: string; payload: { state?: string } };
    if (event.type === 'state' && event.payload.state === 'running') return Date.parse(event.at);
  }
  throw new Error(`task ${taskId} has no running event`);
}

/** The processes of the warm agent waiting in `dir`, once there is one and its CPU time has stopped growing. */
async function settledAgents(dir: string): Promise<number[]> {
  await waitUntil(() => processesIn(dir).length > 0, 60_000, `a warm agent in ${dir}`);
  await untilQuiet(() => processesIn(dir), SETTLED_MS, `the warm agent in ${dir} to finish starting`);
  return processesIn(dir);
}

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}
