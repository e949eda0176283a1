import xterm from '@xterm/headless';
import {
  HeadlessTerminal,
  HOOKED_READ_TIMING,
  HookedScreen,
  parseScreen,
  ReadPacer,
  type ReadTiming,
  SCREEN_READ_TIMING,
  ScreenFollower,
  SnapshotDiffer,
} from '@mission/worker';
import { loadRecording, recordedScenarios } from '../tests/fixtures/recordings.ts';
import { ownCpuMsSince } from './lib/procStat.ts';
import { ratio, report } from './lib/stats.ts';

/** Terminal output pushed through the parser benchmark (the recordings, replayed until this much). */
const SCREEN_BYTES = 8 * 1024 * 1024;
/** Runs of each pipeline (alternated); the median is reported. */
const SCREEN_RUNS = 5;

/** A scenario's last chunk is followed by the next scenario's first after this pause. */
const BETWEEN_SCENARIOS_MS = 1_000;

/** Every recorded chunk of every scenario, in order, at its recorded time on one clock (the scenarios one after another). */
function recordedOutput(): { data: string; t: number }[] {
  let start = 0;
  return recordedScenarios().flatMap((name) => {
    const { chunks } = loadRecording(name);
    const timed = chunks.map((chunk) => ({ data: chunk.data, t: start + chunk.t }));
    start = (timed.at(-1)?.t ?? start) + BETWEEN_SCENARIOS_MS;
    return timed;
  });
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Wall and CPU time (this process: user + system, which a neighbour's burst on a shared machine does not move) of `fn`. */
async function measure(fn: () => Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  return { wallMs, cpuMs: ownCpuMsSince(cpu) };
}

/** The recorded chunks written to @xterm/headless itself (the same size and scrollback), with nothing of Mission's on it. */
async function xtermAlone(chunks: readonly { data: string }[]): Promise<void> {
  const terminal = new xterm.Terminal({ cols: 120, rows: 40, scrollback: 1000, allowProposedApi: true });
  for (const chunk of chunks) terminal.write(chunk.data);
  await new Promise<void>((resolve) => terminal.write('', resolve));
  terminal.dispose();
}

/** One terminal's screen as a driver reads it: its follower (what was written, the counts) and one read. */
interface ScreenReader {
  follower: ScreenFollower;
  read(): void;
}

/** How one driver reads the screen: when (its pacing), and what it does with each read. */
interface ScreenDriver {
  timing: ReadTiming;
  /** The reader of one terminal's screen, made once per terminal. */
  reader(terminal: HeadlessTerminal): ScreenReader;
}

/** The screen driver (LiveSession): each snapshot into the differ, whose events are the transcript's and the state's. */
const screenDriver: ScreenDriver = {
  timing: SCREEN_READ_TIMING,
  reader: (terminal) => {
    const follower = new ScreenFollower(terminal);
    const differ = new SnapshotDiffer();
    return { follower, read: () => differ.next(follower.read()) };
  },
};

/**
 * The hooks driver (HookedSession, the default), through its own HookedScreen: each snapshot's title and status
 * become events (the hooks and the transcript file give the rest), and a screen whose rows changed is looked at
 * for a blocking dialog.
 */
const hooksDriver: ScreenDriver = {
  timing: HOOKED_READ_TIMING,
  reader: (terminal) => {
    const screen = new HookedScreen(terminal);
    return { follower: screen.follower, read: () => screen.read() };
  },
};

/**
 * Recorded Claude Code output (all scenarios, replayed until SCREEN_BYTES) through xterm alone, and through
 * xterm + Mission's reads as each driver does them: after each chunk its ReadPacer (with the driver's timing),
 * on the recording's clock, says when the screen is read (the screen driver once the output paused, the hooks
 * driver as soon as it is rendered; a tick of the spinner or new blocks of the transcript at most every so
 * often); a read happens when that time comes before the next chunk. Each read goes through a ScreenFollower
 * (only the rows xterm wrote since the last read are read again; the screen is parsed again only when more than
 * the spinner's line, the header's animation or the input box and its footer changed), then as the driver does
 * (the screen driver's differ; the hooks driver's status events and blocking dialogs). The other side writes
 * the same chunks to @xterm/headless's own Terminal, so Mission's share includes its row tracking on xterm
 * (HeadlessTerminal) as well as the reads, parses and what follows them.
 */
async function screenThroughput() {
  const chunks = recordedOutput();
  const size = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.data), 0);
  const rounds = Math.ceil(SCREEN_BYTES / size);
  const drivers = { screen: screenDriver, hooks: hooksDriver };
  const counts = { screen: { reads: 0, parses: 0, rowsRead: 0 }, hooks: { reads: 0, parses: 0, rowsRead: 0 } };
  /** One replay of the recordings through xterm alone (null) or a driver's pipeline. */
  const replay = (driver: keyof typeof drivers | null) =>
    measure(async () => {
      if (driver === null) {
        await xtermAlone(chunks);
        return;
      }
      const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
      const { follower, read } = drivers[driver].reader(terminal);
      const pacer = new ReadPacer(drivers[driver].timing);
      // As in the worker, the read is decided in xterm's callback once it has parsed the chunk (a closure
      // written inline, as PtySession's: the loader names a closure kept in a variable, at each chunk).
      for (const [i, chunk] of chunks.entries()) {
        const next = chunks[i + 1]?.t ?? Number.POSITIVE_INFINITY;
        terminal.write(chunk.data, () => {
          const due = pacer.rendered(chunk.t, follower.written());
          if (due > next) return;
          pacer.read(due);
          read();
        });
      }
      await new Promise<void>((resolve) => terminal.write('', resolve));
      terminal.dispose();
      counts[driver].reads += follower.counts.reads;
      counts[driver].parses += follower.counts.parses;
      counts[driver].rowsRead += terminal.counts.rowsRead;
    });
  // Alternated replay by replay (a run is `rounds` replays of each), so that a neighbour's burst on the shared
  // machine falls on all three alike; the order turns at each round, so that each follows each other as often
  // (the collector may run in one replay for the garbage of the replay before).
  const runs = { xtermOnly: [] as Timing[], screen: [] as Timing[], hooks: [] as Timing[] };
  const sides = [
    ['xtermOnly', null],
    ['screen', 'screen'],
    ['hooks', 'hooks'],
  ] as const;
  for (let i = 0; i < SCREEN_RUNS; i++) {
    const run = { xtermOnly: { wallMs: 0, cpuMs: 0 }, screen: { wallMs: 0, cpuMs: 0 }, hooks: { wallMs: 0, cpuMs: 0 } };
    for (let round = 0; round < rounds; round++) {
      const turn = round % sides.length;
      for (const [side, driver] of [...sides.slice(turn), ...sides.slice(0, turn)]) {
        const timing = await replay(driver);
        run[side].wallMs += timing.wallMs;
        run[side].cpuMs += timing.cpuMs;
      }
    }
    runs.xtermOnly.push(run.xtermOnly);
    runs.screen.push(run.screen);
    runs.hooks.push(run.hooks);
  }
  const screens = recordedScenarios().flatMap((name) => loadRecording(name).checkpoints.map((c) => c.screen));
  const parse = await measure(async () => {
    for (let i = 0; i < 20_000; i++) parseScreen(screens[i % screens.length]!);
  });
  const megabytes = (rounds * size) / 1024 / 1024;
  const side = (timings: Timing[]) => ({
    mbPerSecond: megabytes / (median(timings.map((r) => r.wallMs)) / 1000),
    mbPerCpuSecond: megabytes / (median(timings.map((r) => r.cpuMs)) / 1000),
    cpuMicrosPerChunk: (median(timings.map((r) => r.cpuMs)) * 1000) / (rounds * chunks.length),
  });
  const perRun = ({ reads, parses, rowsRead }: { reads: number; parses: number; rowsRead: number }) => ({
    reads: reads / SCREEN_RUNS,
    parses: parses / SCREEN_RUNS,
    rowsRead: rowsRead / SCREEN_RUNS,
  });
  return {
    xtermOnly: side(runs.xtermOnly),
    screen: { ...side(runs.screen), ...perRun(counts.screen) },
    hooks: { ...side(runs.hooks), ...perRun(counts.hooks) },
    megabytes,
    chunks: rounds * chunks.length,
    parseMicros: (parse.cpuMs * 1000) / 20_000,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchScreen(): Promise<void> {
  const screen = await screenThroughput();
  const { xtermOnly } = screen;
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
      followed('xterm + ScreenFollower + differ (screen driver)', screen.screen),
      followed('xterm + ScreenFollower + blocking dialogs (hooks driver, the default)', screen.hooks),
    ],
  );
  const share = (side: typeof screen.screen) => (side.cpuMicrosPerChunk - xtermOnly.cpuMicrosPerChunk).toFixed(1);
  console.log(
    `Mission's share: ${share(screen.screen)} µs CPU per chunk (screen driver), ${share(screen.hooks)} (hooks driver); parseScreen alone: ${screen.parseMicros.toFixed(1)} µs per 120×40 screen`,
  );
}
