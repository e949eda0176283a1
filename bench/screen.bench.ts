import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseScreen } from '@mission/worker';
import { loadRecording, recordedScenarios } from '../tests/fixtures/recordings.ts';
import type { Pipeline, ReadCounts, ReplayerAnswer, ReplayerRequest } from './lib/screenReplayer.ts';
import { ownCpuMsSince } from './lib/procStat.ts';
import { ratio, report } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';

/** Terminal output pushed through each pipeline in each run (the recordings, replayed until this much): 5 MB, 16 with `--full`. */
const SCREEN_BYTES = (process.argv.includes('--full') ? 16 : 5) * 1024 * 1024;
/** Runs of each pipeline (alternated); the median is reported. */
const SCREEN_RUNS = 5;

const replayerScript = fileURLToPath(new URL('./lib/screenReplayer.ts', import.meta.url));

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** A pipeline's process (`lib/screenReplayer.ts`), under tsx: it loads Mission's modules. */
class Replayer {
  private readonly child: ChildProcess;
  private readonly answers: ReplayerAnswer[] = [];
  private waiting: { resolve: (answer: ReplayerAnswer) => void; reject: (error: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor(pipeline: Pipeline) {
    this.child = fork(replayerScript, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, SCREEN_PIPELINE: pipeline } });
    this.child.on('message', (answer: ReplayerAnswer) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting.resolve(answer);
      else this.answers.push(answer);
    });
    this.child.once('exit', (code, signal) => {
      this.exited = new Error(`the ${pipeline} replayer of the screen bench exited (${signal ?? code})`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
  }

  /** The next answer of the pipeline's process, which must be of kind `expected`. */
  async next<K extends ReplayerAnswer['kind']>(expected: K): Promise<Extract<ReplayerAnswer, { kind: K }>> {
    const answer =
      this.answers.shift() ??
      (await new Promise<ReplayerAnswer>((resolve, reject) => {
        if (this.exited) reject(this.exited);
        else this.waiting = { resolve, reject };
      }));
    if (answer.kind !== expected) throw new Error(`a screen bench replayer answered ${answer.kind} where ${expected} was due`);
    return answer as Extract<ReplayerAnswer, { kind: K }>;
  }

  async ask<K extends ReplayerAnswer['kind']>(request: ReplayerRequest, expected: K): Promise<Extract<ReplayerAnswer, { kind: K }>> {
    this.child.send(request);
    return this.next(expected);
  }

  close(): void {
    this.child.disconnect();
  }
}

/**
 * Recorded Claude Code output (all scenarios, replayed until SCREEN_BYTES) through xterm alone, and through
 * xterm + Mission's reads as each driver does them (`lib/screenReplayer.ts`: after each chunk the driver's
 * ReadPacer, on the recording's clock, says when the screen is read; each read goes through a ScreenFollower, then
 * as the driver does: the differ (screen driver), the status events (hooks driver), and the blocking dialogs (both)).
 * Each pipeline runs in a process of its own, as a worker runs Mission's terminals alone, and pays for its own garbage;
 * the replays are taken in turn, one of each at a time, so that a neighbour's burst on the shared machine falls on
 * all three alike. The other side writes the same chunks to @xterm/headless's own Terminal, so Mission's share
 * includes its row tracking on xterm (HeadlessTerminal) as well as the reads, parses and what follows them.
 */
async function screenThroughput() {
  const pipelines: Pipeline[] = ['xtermOnly', 'screen', 'hooks'];
  const replayers = Object.fromEntries(pipelines.map((pipeline) => [pipeline, new Replayer(pipeline)])) as Record<Pipeline, Replayer>;
  try {
    const ready = await Promise.all(pipelines.map((pipeline) => replayers[pipeline].next('ready')));
    const { bytes: size, chunks } = ready[0]!;
    const rounds = Math.ceil(SCREEN_BYTES / size);
    const runs = { xtermOnly: [] as Timing[], screen: [] as Timing[], hooks: [] as Timing[] };
    const counts = { screen: { reads: 0, parses: 0, rowsRead: 0 }, hooks: { reads: 0, parses: 0, rowsRead: 0 } };
    for (let i = 0; i < SCREEN_RUNS; i++) {
      for (const pipeline of pipelines) await replayers[pipeline].ask({ kind: 'begin' }, 'begun');
      for (let round = 0; round < rounds; round++) {
        // The order turns at each round, so that each follows each other as often.
        const turn = round % pipelines.length;
        for (const pipeline of [...pipelines.slice(turn), ...pipelines.slice(0, turn)])
          await replayers[pipeline].ask({ kind: 'replay' }, 'replayed');
      }
      for (const pipeline of pipelines) {
        const ended = await replayers[pipeline].ask({ kind: 'end' }, 'ended');
        runs[pipeline].push({ wallMs: ended.wallMs, cpuMs: ended.cpuMs });
        if (pipeline !== 'xtermOnly') addCounts(counts[pipeline], ended.counts);
      }
    }
    const screens = recordedScenarios().flatMap((name) => loadRecording(name).checkpoints.map((c) => c.screen));
    for (let i = 0; i < 2_000; i++) parseScreen(screens[i % screens.length]!);
    const cpu = process.cpuUsage();
    for (let i = 0; i < 20_000; i++) parseScreen(screens[i % screens.length]!);
    const parseCpuMs = ownCpuMsSince(cpu);
    const megabytes = (rounds * size) / 1024 / 1024;
    const side = (timings: Timing[]) => ({
      mbPerSecond: megabytes / (median(timings.map((r) => r.wallMs)) / 1000),
      mbPerCpuSecond: megabytes / (median(timings.map((r) => r.cpuMs)) / 1000),
      cpuMicrosPerChunk: (median(timings.map((r) => r.cpuMs)) * 1000) / (rounds * chunks),
    });
    const perRun = ({ reads, parses, rowsRead }: ReadCounts) => ({
      reads: reads / SCREEN_RUNS,
      parses: parses / SCREEN_RUNS,
      rowsRead: rowsRead / SCREEN_RUNS,
    });
    return {
      xtermOnly: side(runs.xtermOnly),
      screen: { ...side(runs.screen), ...perRun(counts.screen) },
      hooks: { ...side(runs.hooks), ...perRun(counts.hooks) },
      megabytes,
      chunks: rounds * chunks,
      parseMicros: (parseCpuMs * 1000) / 20_000,
    };
  } finally {
    for (const replayer of Object.values(replayers)) replayer.close();
  }
}

function addCounts(total: ReadCounts, more: ReadCounts): void {
  total.reads += more.reads;
  total.parses += more.parses;
  total.rowsRead += more.rowsRead;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchScreen(): Promise<void> {
  const screen = await screenThroughput();
  const { xtermOnly } = screen;
  readGoal(goals.screenHooks, screen.hooks.mbPerCpuSecond / xtermOnly.mbPerCpuSecond);
  readGoal(goals.screenDriver, screen.screen.mbPerCpuSecond / xtermOnly.mbPerCpuSecond);
  const followed = (name: string, side: typeof screen.screen) => [
    `${name} (${side.reads} reads, ${side.rowsRead} rows read, ${side.parses} whole parses)`,
    side.mbPerSecond.toFixed(1),
    side.mbPerCpuSecond.toFixed(1),
    side.cpuMicrosPerChunk.toFixed(1),
    ratio(side.mbPerCpuSecond, xtermOnly.mbPerCpuSecond),
    ratio(side.mbPerSecond, xtermOnly.mbPerSecond),
  ];
  report(
    `Screen parser: recorded Claude Code output, ${screen.megabytes.toFixed(1)} MB in ${screen.chunks} chunks`,
    ['pipeline', 'MB/s', 'MB per CPU s', 'CPU µs per chunk', 'vs xterm alone (CPU)', 'vs xterm alone (wall)'],
    [
      [
        '@xterm/headless alone',
        xtermOnly.mbPerSecond.toFixed(1),
        xtermOnly.mbPerCpuSecond.toFixed(1),
        xtermOnly.cpuMicrosPerChunk.toFixed(1),
        '1.00×',
        '1.00×',
      ],
      followed('xterm + ScreenFollower + differ + blocking dialogs (screen driver)', screen.screen),
      followed('xterm + ScreenFollower + blocking dialogs (hooks driver, the default)', screen.hooks),
    ],
  );
  const share = (side: typeof screen.screen) => (side.cpuMicrosPerChunk - xtermOnly.cpuMicrosPerChunk).toFixed(1);
  console.log(
    `Mission's share: ${share(screen.screen)} µs CPU per chunk (screen driver), ${share(screen.hooks)} (hooks driver); parseScreen alone: ${screen.parseMicros.toFixed(1)} µs per 120×40 screen`,
  );
}
