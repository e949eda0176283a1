import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@mission/store';
import { PtyProcess, PtySession, Spawner, spawnHeadless } from '@mission/worker';
import pty from 'node-pty';
import { ownCpuMsSince } from './lib/procStat.ts';
import { ms, ratio, report, summarize } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';
import { noopAgent } from './lib/environment.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const FULL = process.argv.includes('--full');
/** Starts each way: 20 in the quick run (enough for a p50; the worst is printed as the max), 30 with `--full`. */
const RUNS = Number(process.env.BENCH_SPAWN_RUNS ?? (FULL ? 30 : 20));
/** The worker's resident size under load (issue 19: 200–330 MB); the fork's cost grows with it. */
const WORKER_RSS_MB = Number(process.env.BENCH_SPAWN_RSS_MB ?? 250);

/**
 * How long starting an agent blocks the starting process's event loop: `child_process.spawn` straight from a
 * process as big as the worker (the raw baseline: what the worker did before its spawner), against the
 * worker's own path — `spawnHeadless` through the {@link Spawner} process. Both run the no-op agent to its
 * exit, one at a time, taken in turn so both see the same machine. The block is the synchronous time of the
 * call (the loop can run nothing meanwhile), and the loop's worst delay over the run (monitorEventLoopDelay)
 * as a cross-check. Then the same for PTY starts (benchPtySpawn).
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
    const child = spawn(noopAgent, [], { cwd: here, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
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

  const a = summarize(direct);
  const b = summarize(viaSpawner);
  readGoal(goals.agentStartBlock, b.p50);
  report(
    `event loop blocked per agent start (this process: RSS ≈ ${WORKER_RSS_MB} MB of ballast like the worker's; ${RUNS} starts each; goal ≤ ${goals.agentStartBlock.limit} ms)`,
    ['how', 'p50', 'max', 'worst loop delay', 'p50 ratio'],
    [
      ['child_process.spawn in the worker (raw, before)', ms(a.p50), ms(a.max), ms(delays.direct.max / 1e6), '1'],
      ['spawnHeadless through the spawner (the worker now)', ms(b.p50), ms(b.max), ms(delays.spawner.max / 1e6), ratio(b.p50, a.p50)],
    ],
  );
  await benchPtySpawn();
  ballast.length = 0;
}

/** A program that starts and ends at once, on a terminal. */
const PTY_QUICK = { bin: 'sh', args: ['-c', 'echo ready'], cwd: here, env: { PATH: process.env.PATH ?? '' } };
const RELAY_BYTES = Number(process.env.BENCH_SPAWN_RELAY_MB ?? (FULL ? 32 : 16)) * 1024 * 1024;
/** A program that writes RELAY_BYTES to its terminal as fast as the terminal takes them. */
const PTY_FLOOD = { ...PTY_QUICK, args: ['-c', `head -c ${RELAY_BYTES} /dev/zero | tr '\\0' x`] };

/**
 * PTY starts, both ways in turn from the same big process: node-pty's `spawn` (forkpty in this process: what
 * PtySession did before) against {@link PtyProcess} (openpty here, the program started by the spawner on
 * the terminal's slave side: what PtySession does now), and a whole `new PtySession` (with its xterm) for
 * the goal. Then the CPU each way costs per byte of output: the master is read in this process both
 * ways (the spawner relays nothing), the spawner's own CPU over the run is counted on the new side.
 */
async function benchPtySpawn(): Promise<void> {
  const spawner = new Spawner(createLogger({ level: 'warn', name: 'bench-spawner' }));
  spawner.start();
  await ptyProcessRun(spawner, PTY_QUICK);
  const blocks = { nodePty: [] as number[], ptyProcess: [] as number[], session: [] as number[] };
  const stalls = { nodePty: new StallWatch(), ptyProcess: new StallWatch(), session: new StallWatch() };
  for (let run = 0; run < RUNS; run++) {
    stalls.nodePty.start();
    blocks.nodePty.push((await nodePtyRun(PTY_QUICK)).blocked);
    stalls.nodePty.stop();
    stalls.ptyProcess.start();
    blocks.ptyProcess.push((await ptyProcessRun(spawner, PTY_QUICK)).blocked);
    stalls.ptyProcess.stop();
    stalls.session.start();
    const started = performance.now();
    const session = new PtySession({ spawner, ...PTY_QUICK });
    blocks.session.push(performance.now() - started);
    const exit = await session.exited;
    session.dispose();
    stalls.session.stop();
    if (exit.exitCode !== 0) throw new Error(`a PtySession's program exited ${JSON.stringify(exit)}`);
  }
  const n = summarize(blocks.nodePty);
  const p = summarize(blocks.ptyProcess);
  const s = summarize(blocks.session);
  readGoal(goals.ptyStartBlock, p.p50);
  report(
    `event loop blocked per PTY start (same process and ballast; ${RUNS} starts each; goal ≤ ${goals.ptyStartBlock.limit} ms). Stalls: the loop late by > ${STALL_MS} ms, with this process's CPU in them (a stall without CPU is the machine's scheduling, not this loop)`,
    ['how', 'p50', 'max', 'stalls', 'CPU in stalls', 'p50 ratio'],
    [
      ['node-pty spawn in the worker (forkpty, before)', ms(n.p50), ms(n.max), ...stalls.nodePty.summary(), '1'],
      ['PtyProcess: openpty here, started by the spawner (now)', ms(p.p50), ms(p.max), ...stalls.ptyProcess.summary(), ratio(p.p50, n.p50)],
      ['new PtySession (PtyProcess + its xterm), now', ms(s.p50), ms(s.max), ...stalls.session.summary(), ratio(s.p50, n.p50)],
    ],
  );

  const cpu = { nodePty: [] as number[], ptyProcess: [] as number[] };
  for (let round = 0; round < 3; round++) {
    cpu.nodePty.push((await nodePtyRun(PTY_FLOOD)).cpuMs);
    const spawnerBefore = processCpuMs(spawnerPid(spawner));
    const run = await ptyProcessRun(spawner, PTY_FLOOD);
    cpu.ptyProcess.push(run.cpuMs + processCpuMs(spawnerPid(spawner)) - spawnerBefore);
  }
  await spawner.close();
  const mb = RELAY_BYTES / 1024 / 1024;
  const perMb = (sample: number[]) => summarize(sample).p50 / mb;
  report(
    `CPU per MB of PTY output read (${mb} MB written by one program, 3 runs each way, p50; this process + the spawner's)`,
    ['how', 'CPU per MB', 'ratio'],
    [
      ['node-pty in the worker (before)', ms(perMb(cpu.nodePty)), '1'],
      ['PtyProcess (now; the spawner relays nothing)', ms(perMb(cpu.ptyProcess)), ratio(perMb(cpu.ptyProcess), perMb(cpu.nodePty))],
    ],
  );
}

interface PtyRun {
  /** How long the start blocked this process. */
  blocked: number;
  /** This process's CPU from the start to the exit (ms). */
  cpuMs: number;
}

/** The program with node-pty's spawn, as PtySession did; resolves once it has exited and its output is read. */
async function nodePtyRun(program: typeof PTY_QUICK): Promise<PtyRun> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const terminal = pty.spawn(program.bin, program.args, {
    name: 'xterm-256color',
    cols: 120,
    rows: 40,
    cwd: program.cwd,
    env: program.env,
  });
  const blocked = performance.now() - started;
  let bytes = 0;
  terminal.onData((data) => (bytes += data.length));
  const exitCode = await new Promise<number>((resolve) => terminal.onExit(({ exitCode }) => resolve(exitCode)));
  if (exitCode !== 0 || bytes === 0) throw new Error(`node-pty's program exited ${exitCode} after ${bytes} characters`);
  return { blocked, cpuMs: ownCpuMsSince(cpu) };
}

/** The same program through PtyProcess and the spawner, as PtySession starts one now. */
async function ptyProcessRun(spawner: Spawner, program: typeof PTY_QUICK): Promise<PtyRun> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const terminal = new PtyProcess(spawner, program, 120, 40);
  const blocked = performance.now() - started;
  let bytes = 0;
  terminal.onData((data) => (bytes += data.length));
  const exit = await terminal.exited;
  if (exit.exitCode !== 0 || bytes === 0) throw new Error(`PtyProcess's program exited ${JSON.stringify(exit)} after ${bytes} characters`);
  return { blocked, cpuMs: ownCpuMsSince(cpu) };
}

const STALL_MS = 10;

/**
 * Looks at the loop every millisecond while started: each time it comes round more than STALL_MS late is a
 * stall, counted with the CPU this process used meanwhile — a fork on the loop burns it, a process the
 * machine did not schedule does not.
 */
class StallWatch {
  private count = 0;
  private stalledMs = 0;
  private cpuInStallsMs = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    let lastWall = performance.now();
    let lastCpu = process.cpuUsage();
    this.timer = setInterval(() => {
      const now = performance.now();
      if (now - lastWall > 1 + STALL_MS) {
        this.count++;
        this.stalledMs += now - lastWall;
        this.cpuInStallsMs += ownCpuMsSince(lastCpu);
      }
      lastWall = now;
      lastCpu = process.cpuUsage();
    }, 1);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** [stalls and their total time, the CPU this process used in them]. */
  summary(): [string, string] {
    return [`${this.count} (${ms(this.stalledMs)})`, ms(this.cpuInStallsMs)];
  }
}

function spawnerPid(spawner: Spawner): number {
  const pid = (spawner as unknown as { process?: { pid?: number } }).process?.pid;
  if (pid === undefined) throw new Error('the spawner process is not running');
  return pid;
}

/** A process's CPU so far (utime + stime from /proc/<pid>/stat), in ms. */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** USER_HZ: /proc's CPU times are in these (100 on Linux). */
const CLOCK_TICKS = 100;

/** One no-op agent through the spawner, as the worker starts a task's agent; resolves with the time the call blocked. */
async function runThroughSpawner(spawner: Spawner): Promise<number> {
  const started = performance.now();
  const agent = spawnHeadless({ bin: noopAgent, args: [], cwd: here, env: { PATH: process.env.PATH ?? '' } }, 'text', spawner);
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
