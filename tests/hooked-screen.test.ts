import { blockingDialogOn, HeadlessTerminal, HookedScreen, parseScreen, readScreen } from '@mission/worker';
import { describe, expect, it } from 'vitest';
import { CLAUDE_VERSION, loadRecording, recordedScenarios } from './fixtures/recordings.ts';
import { firstRunScenarios } from './support/firstRunScenarios.ts';

describe(`HookedScreen on Claude Code ${CLAUDE_VERSION} recordings`, () => {
  it('read after every chunk, it holds the snapshot and the blocking dialog of the whole screen, at each chunk and each checkpoint', async () => {
    let checked = 0;
    let dialogs = 0;
    let chunksChecked = 0;
    // The sessions' recordings and the first-run ones (each a dialog the CLI shows before it will start).
    for (const name of [...recordedScenarios(), ...firstRunScenarios.map((scenario) => scenario.name)]) {
      const recording = loadRecording(name);
      const terminal = new HeadlessTerminal({ cols: recording.cols, rows: recording.rows });
      const screen = new HookedScreen(terminal);
      const titles: string[] = [];
      const marks = new Map(recording.checkpoints.map((mark) => [mark.chunkCount, mark]));
      for (const [i, chunk] of recording.chunks.entries()) {
        await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
        for (const event of screen.read()) if (event.type === 'title') titles.push(event.payload.title);
        // What it follows read after read (only the rows that changed, the dialog looked for only where they did)
        // equals the whole screen read and looked at afresh.
        const full = readScreen(terminal.xterm, terminal.title);
        expect(screen.snapshot, `${name}, chunk ${i}`).toEqual(parseScreen(full, 'frame'));
        expect(screen.blocking, `${name}, chunk ${i}`).toEqual(blockingDialogOn(full.lines));
        chunksChecked++;
        const mark = marks.get(i + 1);
        if (!mark) continue;
        // The dialog is looked for only when a row changed; the whole screen read at this moment says the same.
        expect(screen.snapshot, `${name}/${mark.label}`).toEqual(parseScreen(mark.screen, 'frame'));
        expect(screen.blocking, `${name}/${mark.label}`).toEqual(blockingDialogOn(mark.screen.lines));
        checked++;
        if (screen.blocking) dialogs++;
      }
      // A title event each time the title changed, never one for a read that did not change it.
      expect(
        titles.every((title, i) => title !== '' && title !== titles[i - 1]),
        name,
      ).toBe(true);
      terminal.dispose();
    }
    expect(checked).toBeGreaterThan(20);
    expect(chunksChecked).toBeGreaterThan(400);
    expect(dialogs).toBeGreaterThan(3);
  });
});
