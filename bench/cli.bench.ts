import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { cpuTickMs, endedChildrenCpuMs } from '../tests/support/procCpu.ts';
import { ms, ratio, report, summarize } from './lib/stats.ts';
import { startBenchSystem } from './lib/system.ts';

const FULL = process.argv.includes('--full');
/** Runs of each command: 12 in the quick run (enough for a p50; the worst is printed as the max), 30 with `--full`. */
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? (FULL ? 30 : 12));
/** Runs of each command first, unmeasured, to warm the file cache. */
const WARMUP = 2;
const missionBin = fileURLToPath(new URL('../bin/mission.mjs', import.meta.url));

/** Two commands that do the same thing, timed against each other: `mission`'s (A) and Node's own (B). */
interface Pair {
  title: string;
  node: { label: string; args: string[] };
  mission: { label: string; args: string[] };
  env?: Record<string, string>;
}

/**
 * Runs both commands of `pair` in turn (so both meet the same moments of a shared machine): wall time, and the CPU
 * (user + system) each process used as /proc counts it, the figure machine load does not change.
 */
async function runPair(pair: Pair) {
  const env = { ...process.env, ...pair.env };
  const samples = { node: { wall: [] as number[], cpu: [] as number[] }, mission: { wall: [] as number[], cpu: [] as number[] } };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const side of ['node', 'mission'] as const) {
      const { args } = pair[side];
      const before = endedChildrenCpuMs();
      const started = performance.now();
      await run(args, env);
      const elapsed = performance.now() - started;
      if (i < WARMUP) continue;
      samples[side].wall.push(elapsed);
      samples[side].cpu.push(endedChildrenCpuMs() - before);
    }
  }
  const figures = (side: 'node' | 'mission') => ({ wall: summarize(samples[side].wall), cpu: summarize(samples[side].cpu) });
  const node = figures('node');
  const mission = figures('mission');
  report(
    `${pair.title}, ${RUNS} runs each, taken in turn; CPU from /proc (user + system, ${cpuTickMs} ms ticks)`,
    ['command', 'wall p50', 'wall max', 'CPU p50', 'CPU max', 'wall / node (p50)', 'CPU / node (p50)'],
    [
      [pair.node.label, ms(node.wall.p50), ms(node.wall.max), ms(node.cpu.p50), ms(node.cpu.max), '1×', '1×'],
      [
        pair.mission.label,
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

/**
 * Runs `node <args>` to its end (not with spawnSync: the API the command asks runs in this process); a failure throws
 * with what it wrote on stderr.
 */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: os.tmpdir(), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/**
 * A GET of `path` with Node's own client and nothing else (the body printed): what a command that reads one thing of
 * the API cannot do with less. `node:http` is taken with require: its ESM import loads undici (see packages/cli/src/http.ts).
 */
const bareGet = (path: string) =>
  `require('node:http').get(process.env.MISSION_URL + '${path}', { headers: { authorization: 'Bearer ' + process.env.MISSION_TOKEN } }, (res) => res.pipe(process.stdout))`;

/**
 * How long `mission --version` takes to start and exit, next to `node -e 0` (Node starting and doing nothing); then a
 * command that asks the API one thing (`mission slots --json`, against a system started here) next to the same GET
 * made by `node -e` with Node's own client.
 */
export async function benchCli(): Promise<void> {
  await runPair({
    title: 'mission --version (built CLI) vs node -e 0',
    node: { label: 'node -e 0', args: ['-e', '0'] },
    mission: { label: 'mission --version', args: [missionBin, '--version'] },
  });
  // The API alone: the commands ask it, no task runs.
  const system = await startBenchSystem({}, { inProcessWorker: false });
  try {
    await runPair({
      title: 'mission slots --json (one GET /v1/slots) vs the same GET by node -e with node:http',
      node: { label: 'node -e "http.get(/v1/slots)"', args: ['-e', bareGet('/v1/slots')] },
      mission: { label: 'mission slots --json', args: [missionBin, 'slots', '--json'] },
      env: { MISSION_URL: system.url, MISSION_TOKEN: system.auth.authorization.replace(/^Bearer /, '') },
    });
  } finally {
    await system.close();
  }
}
