import { fork, spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ms, ratio, report, summarize } from './lib/stats.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const NOOP_AGENT = path.join(here, 'noop-agent.sh');
const RUNS = Number(process.env.BENCH_SPAWN_RUNS ?? 30);
/** The worker's resident size under load (issue 19: 200–330 MB); the fork's cost grows with it. */
const WORKER_RSS_MB = Number(process.env.BENCH_SPAWN_RSS_MB ?? 250);

/**
 * How long starting an agent blocks the starting process's event loop: `child_process.spawn` straight from a
 * process as big as the worker (what headlessRunner.ts does today), against handing the start to a small
 * launcher process over IPC (lib/launcherPrototype.mjs). Both run the no-op agent to its exit, one at a time,
 * taken in turn so both see the same machine. The block is the synchronous time of the call (the loop can
 * run nothing meanwhile), and the loop's worst delay over the run (monitorEventLoopDelay) as a cross-check.
 */
export async function benchSpawn(): Promise<void> {
  // Pages actually touched (Buffer.alloc zero-fills), so the fork has their page tables to copy.
  const ballast = Array.from({ length: WORKER_RSS_MB }, () => Buffer.alloc(1024 * 1024, 1));
  const launcher = fork(path.join(here, 'lib', 'launcherPrototype.mjs'), [], { execArgv: ['--max-old-space-size=32'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  type Relayed = { id: number; exit?: unknown; out?: string; pid?: number };
  const waiting = new Map<number, (message: Relayed) => void>();
  launcher.on('message', (message: Relayed) => waiting.get(message.id)?.(message));
  await new Promise<void>((resolve) => launcher.once('spawn', () => resolve()));

  const direct: number[] = [];
  const viaLauncher: number[] = [];
  const delays = { direct: monitorEventLoopDelay({ resolution: 1 }), launcher: monitorEventLoopDelay({ resolution: 1 }) };
  const env = { PATH: process.env.PATH ?? '' };
  for (let run = 0; run < RUNS; run++) {
    delays.direct.enable();
    let started = performance.now();
    const child = spawn(NOOP_AGENT, [], { cwd: here, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    direct.push(performance.now() - started);
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdin.end('hi\n');
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    delays.direct.disable();
    if (code !== 0 || !output.includes('"result"')) throw new Error(`the no-op agent did not answer when spawned directly (exit ${code})`);

    delays.launcher.enable();
    const id = run;
    let relayed = '';
    const exited = new Promise<void>((resolve, reject) => {
      waiting.set(id, (message) => {
        if (message.out) relayed += message.out;
        if (message.exit) {
          waiting.delete(id);
          const exit = message.exit as { code: number | null };
          if (exit.code !== 0 || !relayed.includes('"result"')) reject(new Error(`the no-op agent did not answer through the launcher (exit ${exit.code})`));
          else resolve();
        }
      });
    });
    started = performance.now();
    launcher.send({ id, bin: NOOP_AGENT, args: [], cwd: here, env });
    viaLauncher.push(performance.now() - started);
    launcher.send({ id, stdin: 'hi\n', end: true });
    await exited;
    delays.launcher.disable();
  }
  launcher.disconnect();
  ballast.length = 0;

  const a = summarize(direct);
  const b = summarize(viaLauncher);
  report(
    `event loop blocked per agent start (this process: RSS ≈ ${WORKER_RSS_MB} MB of ballast like the worker's; ${RUNS} starts each; goal ≤ 2 ms)`,
    ['how', 'p50', 'p99', 'worst loop delay', 'p50 ratio'],
    [
      ['child_process.spawn (today)', ms(a.p50), ms(a.p99), ms(delays.direct.max / 1e6), '1'],
      ['launcher over IPC (prototype)', ms(b.p50), ms(b.p99), ms(delays.launcher.max / 1e6), ratio(b.p50, a.p50)],
    ],
  );
}
