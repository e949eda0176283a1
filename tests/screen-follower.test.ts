import {
  HeadlessTerminal,
  parseScreen,
  ReadPacer,
  readScreen,
  SCREEN_READ_TIMING,
  ScreenFollower,
  SCREEN_SETTLE_MS,
  type SessionSnapshot,
  STARTING_SNAPSHOT,
} from '@mission/worker';
import { describe, expect, it } from 'vitest';
import { FIXTURE_COLS, FIXTURE_ROWS, loadRecording, RECORDED_VERSIONS, recordedScenarios } from './fixtures/recordings.ts';

/**
 * What a full parse gives of the last whole frame, `full` read now: its own parse, unless the CLI is drawing a frame
 * (a blank screen, or inside a synchronized update): then the whole frame before, with the title now.
 */
function wholeFrameParse(terminal: HeadlessTerminal, full: ReturnType<typeof readScreen>, before: SessionSnapshot): SessionSnapshot {
  return terminal.drawing ? { ...before, title: full.title } : parseScreen(full);
}

/**
 * The screen driver reads only the rows xterm changed, and parses the screen again only when more than
 * the spinner changed: replayed through every recorded scenario, what it reads must be what a full read
 * and a full parse of the last whole frame give, at every chunk and at the worker's read points (where the output paused).
 */
describe.each(RECORDED_VERSIONS)('ScreenFollower on the Claude Code %s recordings', (version) => {
  for (const scenario of recordedScenarios(version)) {
    for (const when of ['every chunk', 'where the output paused'] as const) {
      it(`${scenario}: the cached screen and its snapshot equal a full read and parse (${when})`, async () => {
        const { chunks } = loadRecording(scenario, version);
        const terminal = new HeadlessTerminal({ cols: FIXTURE_COLS, rows: FIXTURE_ROWS });
        const follower = new ScreenFollower(terminal);
        let checked = 0;
        let whole = STARTING_SNAPSHOT;
        const check = () => {
          const full = readScreen(terminal.xterm, terminal.title);
          whole = wholeFrameParse(terminal, full, whole);
          const snapshot = follower.read();
          expect(terminal.screen()).toEqual(full);
          expect(snapshot).toEqual(whole);
          checked++;
        };
        for (const [i, chunk] of chunks.entries()) {
          const pauses = (chunks[i + 1]?.t ?? Infinity) - chunk.t >= SCREEN_SETTLE_MS;
          await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
          if (when === 'every chunk' || pauses) check();
        }
        terminal.resize(FIXTURE_COLS - 20, FIXTURE_ROWS - 5);
        check();
        terminal.dispose();
        expect(checked).toBeGreaterThan(0);
        // The spinner's ticks are read without a parse.
        if (when === 'every chunk') expect(follower.counts.parses).toBeLessThan(follower.counts.reads);
      });
    }
  }
});

/**
 * The worker leaves a read for later when the CLI only animated the screen, or only wrote the transcript above
 * the input box, since the last one (ReadPacer, ScreenFollower.written): on every recording, at every chunk where
 * the follower says so, a read then would have told nothing but a new status or title (animation), or the same
 * state, dialog and input box with other blocks (transcript); and the reads the pacer asks for, on the
 * recording's clock, still equal a full read and parse.
 */
describe.each(RECORDED_VERSIONS)('Reads left for later while the CLI %s only animates the screen or writes its transcript', (version) => {
  for (const scenario of recordedScenarios(version)) {
    it(`${scenario}: what a read would tell then is only the status and the title, or blocks`, async () => {
      const { chunks } = loadRecording(scenario, version);
      const terminal = new HeadlessTerminal({ cols: FIXTURE_COLS, rows: FIXTURE_ROWS });
      const follower = new ScreenFollower(terminal);
      const pacer = new ReadPacer(SCREEN_READ_TIMING);
      let last: SessionSnapshot | null = null;
      let whole = STARTING_SNAPSHOT;
      const waited = { animation: 0, transcript: 0 };
      let reads = 0;
      for (const [i, chunk] of chunks.entries()) {
        await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
        const written = follower.written();
        const full = readScreen(terminal.xterm, terminal.title);
        whole = wholeFrameParse(terminal, full, whole);
        // While the CLI draws a frame a read tells nothing of it (the title aside).
        if (written !== 'frame' && !terminal.drawing) {
          waited[written]++;
          const now = parseScreen(full);
          if (written === 'transcript') expect([now.state, now.dialog]).toEqual([last!.state, last!.dialog]);
          else expect({ ...now, status: null, title: '' }).toEqual({ ...last!, status: null, title: '' });
        }
        const due = pacer.rendered(chunk.t, written);
        if (due > (chunks[i + 1]?.t ?? Number.POSITIVE_INFINITY)) continue;
        pacer.read(due);
        last = follower.read();
        reads++;
        expect(last).toEqual(whole);
      }
      terminal.dispose();
      expect(reads).toBeLessThan(chunks.length);
      expect(waited.animation).toBeGreaterThan(0);
    });
  }
});
