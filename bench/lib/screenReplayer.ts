import xterm from '@xterm/headless';
import {
  HeadlessTerminal,
  HOOKED_READ_TIMING,
  HookedScreen,
  LiveScreen,
  ReadPacer,
  type ReadTiming,
  SCREEN_READ_TIMING,
  type ScreenFollower,
} from '@mission/worker';
import { loadRecording, recordedScenarios } from '../../tests/fixtures/recordings.ts';
import { ownCpuMsSince } from './procStat.ts';

/**
 * One pipeline of the screen benchmark (forked by screen.bench.ts, one process per pipeline, SCREEN_PIPELINE
 * naming it), replaying the recordings when its parent says so. In a process of its own, each pipeline pays for its
 * own garbage: in one process, the collector ran in one pipeline's replay for the garbage of another's, and the hooks
 * driver read 0.57–0.83× of xterm alone over the runs on record (about 1.0× in a scratch pair of two pipelines), where
 * in processes of their own it reads 0.64–0.74×. And each has the compiled code a worker has (a worker runs
 * Mission's terminals only; xterm's own, unpatched, shared its code paths with them in one process).
 *
 * Messages: `begin` starts a measured window, `replay` replays once (answered `replayed` when done), `end` answers
 * the window: its CPU (this process's, from `begin` to `end`, so the collector's work between replays counts too),
 * the replays' wall time and the pipeline's counts.
 */

/** A scenario's last chunk is followed by the next scenario's first after this pause. */
const BETWEEN_SCENARIOS_MS = 1_000;

export type Pipeline = 'xtermOnly' | 'screen' | 'hooks';

export type ReplayerRequest = { kind: 'begin' } | { kind: 'replay' } | { kind: 'end' };

export type ReplayerAnswer =
  | { kind: 'ready'; bytes: number; chunks: number }
  | { kind: 'begun' }
  | { kind: 'replayed' }
  | { kind: 'ended'; cpuMs: number; wallMs: number; counts: ReadCounts };

export interface ReadCounts {
  reads: number;
  parses: number;
  rowsRead: number;
}

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

/**
 * The screen driver (LiveSession), through its own LiveScreen: each snapshot into the differ, whose events are the
 * transcript's and the state's, and a screen whose rows changed is looked at for a blocking dialog.
 */
const screenDriver: ScreenDriver = {
  timing: SCREEN_READ_TIMING,
  reader: (terminal) => {
    const screen = new LiveScreen(terminal);
    return { follower: screen.follower, read: () => screen.read() };
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

const chunks = recordedOutput();
const counts: ReadCounts = { reads: 0, parses: 0, rowsRead: 0 };

/** The recorded chunks written to @xterm/headless itself (the same size and scrollback), with nothing of Mission's on it. */
async function xtermAlone(): Promise<void> {
  const terminal = new xterm.Terminal({ cols: 120, rows: 40, scrollback: 1000, allowProposedApi: true });
  for (const chunk of chunks) terminal.write(chunk.data);
  await new Promise<void>((resolve) => terminal.write('', resolve));
  terminal.dispose();
}

/**
 * The recorded chunks through xterm + Mission's reads as `driver` does them: after each chunk its ReadPacer (with
 * the driver's timing), on the recording's clock, says when the screen is read; a read happens when that time
 * comes before the next chunk.
 */
async function throughDriver(driver: ScreenDriver): Promise<void> {
  const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
  const { follower, read } = driver.reader(terminal);
  const pacer = new ReadPacer(driver.timing);
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
  counts.reads += follower.counts.reads;
  counts.parses += follower.counts.parses;
  counts.rowsRead += terminal.counts.rowsRead;
}

const replays: Record<Pipeline, () => Promise<void>> = {
  xtermOnly: xtermAlone,
  screen: () => throughDriver(screenDriver),
  hooks: () => throughDriver(hooksDriver),
};

function serve(pipeline: Pipeline): void {
  const replay = replays[pipeline];
  const send = (answer: ReplayerAnswer) => process.send!(answer);
  let cpu = process.cpuUsage();
  let wallMs = 0;
  process.on('message', (request: ReplayerRequest) => {
    if (request.kind === 'begin') {
      Object.assign(counts, { reads: 0, parses: 0, rowsRead: 0 });
      wallMs = 0;
      cpu = process.cpuUsage();
      send({ kind: 'begun' });
    } else if (request.kind === 'replay') {
      const start = performance.now();
      void replay().then(() => {
        wallMs += performance.now() - start;
        send({ kind: 'replayed' });
      });
    } else send({ kind: 'ended', cpuMs: ownCpuMsSince(cpu), wallMs, counts: { ...counts } });
  });
  process.once('disconnect', () => process.exit(0));
  send({ kind: 'ready', bytes: chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.data), 0), chunks: chunks.length });
}

serve(process.env.SCREEN_PIPELINE as Pipeline);
