import xterm from '@xterm/headless';
import { HeadlessTerminal, parseScreen, ReadPacer, SCREEN_READ_TIMING, ScreenFollower, SnapshotDiffer } from '@mission/worker';
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

/** Wall and CPU time (this process: user + system, which a neighbour's burst on a shared machine does not move) of `fn`. */
async function measure(fn: () => Promise<void>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  return { wallMs, cpuMs: ownCpuMsSince(cpu) };
}

/**
 * Recorded Claude Code output (all scenarios, replayed until SCREEN_BYTES) through xterm alone, and
 * through xterm + parser + differ as the screen driver (LiveSession) reads it: after each chunk its ReadPacer,
 * on the recording's clock, says when the screen is read (once the output paused; a tick of the spinner at most
 * every ANIMATION_READ_MS); a read happens when that time comes before the next chunk. Each read goes through
 * a ScreenFollower (only the rows xterm wrote since the last read are read again; the screen is parsed again
 * only when more than the spinner's line, the header's animation or the input box and its footer changed), each
 * snapshot into the differ. The other side writes the same chunks to @xterm/headless's own Terminal, so Mission's
 * share includes its row tracking on xterm (HeadlessTerminal) as well as the reads, parses and diffs.
 */
/** The recorded chunks written to @xterm/headless itself (the same size and scrollback), with nothing of Mission's on it. */
async function xtermAlone(chunks: readonly { data: string }[]): Promise<void> {
  const terminal = new xterm.Terminal({ cols: 120, rows: 40, scrollback: 1000, allowProposedApi: true });
  for (const chunk of chunks) terminal.write(chunk.data);
  await new Promise<void>((resolve) => terminal.write('', resolve));
  terminal.dispose();
}

async function screenThroughput() {
  const chunks = recordedOutput();
  const size = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.data), 0);
  const rounds = Math.ceil(SCREEN_BYTES / size);
  const counts = { reads: 0, parses: 0, rowsRead: 0 };
  const run = (follow: boolean) =>
    measure(async () => {
      for (let round = 0; round < rounds; round++) {
        if (!follow) {
          await xtermAlone(chunks);
          continue;
        }
        const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
        const follower = new ScreenFollower(terminal);
        const differ = new SnapshotDiffer();
        const pacer = new ReadPacer(SCREEN_READ_TIMING);
        // As in the worker, the read is decided in xterm's callback once it has parsed the chunk.
        for (const [i, chunk] of chunks.entries()) {
          const next = chunks[i + 1]?.t ?? Number.POSITIVE_INFINITY;
          const rendered = () => {
            const due = pacer.rendered(chunk.t, follower.written());
            if (due > next) return;
            pacer.read(due);
            differ.next(follower.read());
          };
          terminal.write(chunk.data, rendered);
        }
        await new Promise<void>((resolve) => terminal.write('', resolve));
        terminal.dispose();
        counts.reads += follower.counts.reads;
        counts.parses += follower.counts.parses;
        counts.rowsRead += terminal.counts.rowsRead;
      }
    });
  // Alternated, so that a neighbour's burst on the shared machine falls on both.
  const xtermOnly: { wallMs: number; cpuMs: number }[] = [];
  const followed: { wallMs: number; cpuMs: number }[] = [];
  for (let i = 0; i < SCREEN_RUNS; i++) {
    xtermOnly.push(await run(false));
    followed.push(await run(true));
  }
  const screens = recordedScenarios().flatMap((name) => loadRecording(name).checkpoints.map((c) => c.screen));
  const parse = await measure(async () => {
    for (let i = 0; i < 20_000; i++) parseScreen(screens[i % screens.length]!);
  });
  const megabytes = (rounds * size) / 1024 / 1024;
  const side = (runs: { wallMs: number; cpuMs: number }[]) => ({
    mbPerSecond: megabytes / (median(runs.map((r) => r.wallMs)) / 1000),
    mbPerCpuSecond: megabytes / (median(runs.map((r) => r.cpuMs)) / 1000),
    cpuMicrosPerChunk: (median(runs.map((r) => r.cpuMs)) * 1000) / (rounds * chunks.length),
  });
  return {
    xtermOnly: side(xtermOnly),
    followed: side(followed),
    megabytes,
    chunks: rounds * chunks.length,
    reads: counts.reads / SCREEN_RUNS,
    parses: counts.parses / SCREEN_RUNS,
    rowsRead: counts.rowsRead / SCREEN_RUNS,
    parseMicros: (parse.cpuMs * 1000) / 20_000,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchScreen(): Promise<void> {
  const screen = await screenThroughput();
  const { xtermOnly, followed } = screen;
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
      [
        `xterm + ScreenFollower + differ (${screen.reads} reads, ${screen.rowsRead} rows read, ${screen.parses} whole parses)`,
        followed.mbPerSecond.toFixed(1),
        followed.mbPerCpuSecond.toFixed(1),
        followed.cpuMicrosPerChunk.toFixed(1),
        ratio(followed.mbPerCpuSecond, xtermOnly.mbPerCpuSecond),
        ratio(followed.mbPerSecond, xtermOnly.mbPerSecond),
      ],
    ],
  );
  console.log(
    `Mission's share: ${(followed.cpuMicrosPerChunk - xtermOnly.cpuMicrosPerChunk).toFixed(1)} µs CPU per chunk; parseScreen alone: ${screen.parseMicros.toFixed(1)} µs per 120×40 screen`,
  );
}
