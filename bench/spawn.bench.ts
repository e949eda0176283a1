import { spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@mission/store';
import { PtySession, Spawner, spawnHeadless } from '@mission/worker';
import { ms, ratio, report, summarize } from './lib/stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const NOOP_AGENT = path.join(here, 'noop-agent.sh');
const RUNS = Number(process.env.BENCH_SPAWN_RUNS ?? 30);
/** The worker's resident size under load (issue 19: 200–330 MB); the fork's cost grows with it. */
const WORKER_RSS_MB = Number(process.env.BENCH_SPAWN_RSS_MB ?? 250);

/**
 * How long starting an agent blocks the starting process's event loop: `child_process.spawn` straight from a
 * process as big as the worker (the raw baseline: what the worker did before its spawner), against the
 * worker's own path — `spawnHeadless` through the {@link Spawner} process. Both run the no-op agent to its
 * exit, one at a time, taken in turn so both see the same machine. The block is the synchronous time of the
 * call (the loop can run nothing meanwhile), and the loop's worst delay over the run (monitorEventLoopDelay)
 * as a cross-check. Then the same for a PTY (node-pty's forkpty, what a session's spawn does), which still
 * forks the worker.
 */
export async function benchSpawn(): Promise<void> {
  // Pages actually touched (Buffer.alloc zero-fills), so the fork has their page tables to copy.
  const ballast = Array.from({ length: WORKER_RSS_MB }, () => Buffer.alloc(1024 * 1024, 1));
  const spawner = new Spawner(createLogger({ level: 'warn', name: 'bench-spawner' }));
  spawner.start();
  // One start first: the spawner's own fork is paid once, when the worker starts.
  await runThroughSpawner(spawner);

  const direct: number[] = [];
  const viaSpawner: number[] = [];
  const delays = { direct: monitorEventLoopDelay({ resolution: 1 }), spawner: monitorEventLoopDelay({ resolution: 1 }) };
  const env = { PATH: process.env.PATH ?? '' };
  for (let run = 0; run < RUNS; run++) {
    delays.direct.enable();
    const started = performance.now();
    const child = spawn(NOOP_AGENT, [], { cwd: here, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    direct.push(performance.now() - started);
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdin.end('hi\n');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    delays.direct.disable();
    if (code !== 0 || !output.includes('"result"')) throw new Error(`the no-op agent did not answer when spawned directly (exit ${code})`);

    delays.spawner.enable();
    viaSpawner.push(await runThroughSpawner(spawner));
    delays.spawner.disable();
  }
  await spawner.close();

  const ptyBlocks: number[] = [];
  const ptyDelay = monitorEventLoopDelay({ resolution: 1 });
  ptyDelay.enable();
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const session = new PtySession({ bin: NOOP_AGENT, args: [], cwd: here, env });
    ptyBlocks.push(performance.now() - started);
    await session.kill();
    session.dispose();
  }
  ptyDelay.disable();
  ballast.length = 0;

  const a = summarize(direct);
  const b = summarize(viaSpawner);
  const p = summarize(ptyBlocks);
  report(
    `event loop blocked per agent start (this process: RSS ≈ ${WORKER_RSS_MB} MB of ballast like the worker's; ${RUNS} starts each; goal ≤ 2 ms)`,
    ['how', 'p50', 'p99', 'worst loop delay', 'p50 ratio'],
    [
      ['child_process.spawn in the worker (raw, before)', ms(a.p50), ms(a.p99), ms(delays.direct.max / 1e6), '1'],
      ['spawnHeadless through the spawner (the worker now)', ms(b.p50), ms(b.p99), ms(delays.spawner.max / 1e6), ratio(b.p50, a.p50)],
      ['PTY: node-pty spawn in the worker (sessions, unchanged)', ms(p.p50), ms(p.p99), ms(ptyDelay.max / 1e6), ratio(p.p50, a.p50)],
    ],
  );
}

/** One no-op agent through the spawner, as the worker starts a task's agent; resolves with the time the call blocked. */
async function runThroughSpawner(spawner: Spawner): Promise<number> {
  const started = performance.now();
  const agent = spawnHeadless({ bin: NOOP_AGENT, args: [], cwd: here, env: { PATH: process.env.PATH ?? '' } }, 'text', spawner);
  const blocked = performance.now() - started;
  let answered = false;
  const exit = await agent.drive({
    prompt: 'hi\n',
    signal: new AbortController().signal,
    onMessage: async (message) => {
      if ((message as { type?: string }).type === 'result') answered = true;
    },
  });
  if (exit.exitCode !== 0 || !answered)
    throw new Error(`the no-op agent did not answer through the spawner (exit ${exit.exitCode}, ${exit.spawnError ?? exit.stderrTail})`);
  return blocked;
}
