import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuTickMs, endedChildrenCpuMs } from '../tests/support/procCpu.ts';
import { ms, ratio, report, summarize } from './lib/stats.ts';

const RUNS = 30;
const missionBin = fileURLToPath(new URL('../bin/mission.mjs', import.meta.url));

/**
 * How long `mission --version` takes to start and exit, next to `node -e 0` (Node starting and doing nothing): wall
 * time, and the CPU (user + system) the process used as /proc counts it — the figure machine load does not change.
 */
export async function benchCli(): Promise<void> {
  const measure = (args: string[]) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const before = endedChildrenCpuMs();
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { cwd: os.tmpdir(), encoding: 'utf8' });
      const elapsed = performance.now() - started;
      if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
      if (i < 3) continue; // warm the file cache first
      wall.push(elapsed);
      cpu.push(endedChildrenCpuMs() - before);
    }
    return { wall: summarize(wall), cpu: summarize(cpu) };
  };
  const node = measure(['-e', '0']);
  const mission = measure([missionBin, '--version']);
  report(
    `mission --version (built CLI) vs node -e 0, ${RUNS} runs each, one after another; CPU from /proc (user + system, ${cpuTickMs} ms ticks)`,
    ['command', 'wall p50', 'wall p99', 'CPU p50', 'CPU p99', 'wall / node (p50)', 'CPU / node (p50)'],
    [
      ['node -e 0', ms(node.wall.p50), ms(node.wall.p99), ms(node.cpu.p50), ms(node.cpu.p99), '1×', '1×'],
      [
        'mission --version',
        ms(mission.wall.p50),
        ms(mission.wall.p99),
        ms(mission.cpu.p50),
        ms(mission.cpu.p99),
        ratio(mission.wall.p50, node.wall.p50),
        ratio(mission.cpu.p50, node.cpu.p50),
      ],
    ],
  );
}
