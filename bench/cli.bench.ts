import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuTickMs, endedChildrenCpuMs } from '../tests/support/procCpu.ts';
import { ms, ratio, report, summarize } from './lib/stats.ts';

const FULL = process.argv.includes('--full');
/** Runs of each command: 12 in the quick run (enough for a p50; the worst is printed as the max), 30 with `--full`. */
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? (FULL ? 30 : 12));
/** Runs of each command first, unmeasured, to warm the file cache. */
const WARMUP = 2;
const missionBin = fileURLToPath(new URL('../bin/mission.mjs', import.meta.url));

/**
 * How long `mission --version` takes to start and exit, next to `node -e 0` (Node starting and doing nothing): wall
 * time, and the CPU (user + system) the process used as /proc counts it — the figure machine load does not change.
 * The two commands run in turn, so both meet the same moments of a shared machine.
 */
export async function benchCli(): Promise<void> {
  const commands = { node: ['-e', '0'], mission: [missionBin, '--version'] };
  const samples = { node: { wall: [] as number[], cpu: [] as number[] }, mission: { wall: [] as number[], cpu: [] as number[] } };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const name of ['node', 'mission'] as const) {
      const args = commands[name];
      const before = endedChildrenCpuMs();
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { cwd: os.tmpdir(), encoding: 'utf8' });
      const elapsed = performance.now() - started;
      if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
      if (i < WARMUP) continue;
      samples[name].wall.push(elapsed);
      samples[name].cpu.push(endedChildrenCpuMs() - before);
    }
  }
  const figures = (name: 'node' | 'mission') => ({ wall: summarize(samples[name].wall), cpu: summarize(samples[name].cpu) });
  const node = figures('node');
  const mission = figures('mission');
  report(
    `mission --version (built CLI) vs node -e 0, ${RUNS} runs each, taken in turn; CPU from /proc (user + system, ${cpuTickMs} ms ticks)`,
    ['command', 'wall p50', 'wall max', 'CPU p50', 'CPU max', 'wall / node (p50)', 'CPU / node (p50)'],
    [
      ['node -e 0', ms(node.wall.p50), ms(node.wall.max), ms(node.cpu.p50), ms(node.cpu.max), '1×', '1×'],
      [
        'mission --version',
        ms(mission.wall.p50),
        ms(mission.wall.max),
        ms(mission.cpu.p50),
        ms(mission.cpu.max),
        ratio(mission.wall.p50, node.wall.p50),
        ratio(mission.cpu.p50, node.cpu.p50),
      ],
    ],
  );
}
