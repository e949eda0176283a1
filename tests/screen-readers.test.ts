import type { MissionEventDraft } from '@mission/contracts';
import {
  type BlockingDialog,
  blockingDialogOn,
  type ChangingScreen,
  HeadlessTerminal,
  HookedScreen,
  LiveScreen,
  parseScreen,
  readScreen,
  type ScreenReading,
  type SessionSnapshot,
  STARTING_SNAPSHOT,
} from '@mission/worker';
import { describe, expect, it } from 'vitest';
import { loadRecording, RECORDED_VERSIONS, recordedScenarios } from './fixtures/recordings.ts';
import { firstRunScenarios } from './support/firstRunScenarios.ts';

/** What both drivers' screen readers hold after a read, and what a read gives. */
interface ScreenReader {
  snapshot: SessionSnapshot;
  blocking: BlockingDialog | null;
  read(): MissionEventDraft[];
}

/** The hooks driver's reader parses the frame alone (the transcript file gives the rest); the screen driver's, the whole screen. */
const readers: { name: string; reading: ScreenReading; make: (terminal: ChangingScreen) => ScreenReader }[] = [
  { name: 'HookedScreen (hooks driver)', reading: 'frame', make: (terminal) => new HookedScreen(terminal) },
  { name: 'LiveScreen (screen driver)', reading: 'whole', make: (terminal) => new LiveScreen(terminal) },
];

/** Each reader on each recorded version of the CLI. */
const readings = RECORDED_VERSIONS.flatMap((version) => readers.map((reader) => ({ ...reader, version })));

describe.each(readings)('$name on Claude Code $version recordings', ({ reading, make, version }) => {
  it('read after every chunk, it holds the snapshot and the blocking dialog of the last whole frame, at each chunk and each checkpoint', async () => {
    let checked = 0;
    let dialogs = 0;
    let chunksChecked = 0;
    // The sessions' recordings and the first-run ones (each a dialog the CLI shows before it will start).
    for (const name of [...recordedScenarios(version), ...firstRunScenarios.map((scenario) => scenario.name)]) {
      const recording = loadRecording(name, version);
      const terminal = new HeadlessTerminal({ cols: recording.cols, rows: recording.rows });
      const screen = make(terminal);
      const titles: string[] = [];
      const marks = new Map(recording.checkpoints.map((mark) => [mark.chunkCount, mark]));
      let whole: { snapshot: SessionSnapshot; blocking: BlockingDialog | null } = { snapshot: STARTING_SNAPSHOT, blocking: null };
      for (const [i, chunk] of recording.chunks.entries()) {
        await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
        for (const event of screen.read()) if (event.type === 'title') titles.push(event.payload.title);
        // What it follows read after read (only the rows that changed, the dialog looked for only where they did)
        // equals the whole screen read and looked at afresh; while the CLI draws a frame (a blank screen), the frame before.
        const full = readScreen(terminal.xterm, terminal.title);
        whole = terminal.drawing
          ? { snapshot: { ...whole.snapshot, title: full.title }, blocking: whole.blocking }
          : { snapshot: parseScreen(full, reading), blocking: blockingDialogOn(full.lines) };
        expect(screen.snapshot, `${name}, chunk ${i}`).toEqual(whole.snapshot);
        expect(screen.blocking, `${name}, chunk ${i}`).toEqual(whole.blocking);
        chunksChecked++;
        const mark = marks.get(i + 1);
        // A blank screen at a checkpoint (the CLI exited) is no frame: the one before it stands, as checked above.
        if (!mark || terminal.drawing) continue;
        // The dialog is looked for only when a row changed; the whole screen read at this moment says the same.
        expect(screen.snapshot, `${name}/${mark.label}`).toEqual(parseScreen(mark.screen, reading));
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

  // Continued after SIGSTOP, the CLI clears its screen in one write and draws the frame in the next (recorded with
  // the worker's CLAUDE_SCREEN_ENV): a read between the two saw a blank screen, no dialog and no prompt, and the session
  // went from blocked to idle with /help still open (an interrupt then answered at once, pressing nothing).
  it('a screen cleared for a redraw is no screen: with /help open and the CLI continued after SIGSTOP, the command screen blocks at every chunk', async () => {
    const recording = loadRecording('redraws/help-continued', version);
    const help = recording.checkpoints.find((mark) => mark.label === 'help')!;
    const terminal = new HeadlessTerminal({ cols: recording.cols, rows: recording.rows });
    const screen = make(terminal);
    let blank = 0;
    for (const [i, chunk] of recording.chunks.entries()) {
      await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
      screen.read();
      if (i + 1 < help.chunkCount) continue;
      const full = readScreen(terminal.xterm, terminal.title);
      if (full.lines.every((line) => line === '')) {
        blank++;
        expect(terminal.drawing, `chunk ${i}`).toBe(true);
        expect(blockingDialogOn(full.lines), `chunk ${i}`).toBeNull();
      }
      expect(screen.blocking, `chunk ${i}`).toMatchObject({ kind: 'command_screen', text: expect.stringMatching(/^Help {2}General\b/) });
      expect(screen.snapshot.state, `chunk ${i}`).toBe(parseScreen(help.screen, reading).state);
    }
    terminal.dispose();
    // Every continue but the first was drawn in two writes (the first, in one).
    expect(blank).toBeGreaterThanOrEqual(3);
  });
});

/** The state events LiveScreen told over a replay of `name`, each `state` or `blocked (kind)`. */
async function statesTold(name: string, version: string): Promise<string[]> {
  const recording = loadRecording(name, version);
  const terminal = new HeadlessTerminal({ cols: recording.cols, rows: recording.rows });
  const screen = new LiveScreen(terminal);
  const told: string[] = [];
  for (const chunk of recording.chunks) {
    await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
    const events = screen.read();
    const states = events.filter((event) => event.type === 'state');
    // At most one a read, first among its events, and the state the screen is read in from then on.
    expect(states.length, name).toBeLessThanOrEqual(1);
    if (states.length === 0) continue;
    expect(events[0], name).toBe(states[0]);
    expect(states[0]!.payload.state, name).toBe(screen.state);
    const dialog = screen.blocking;
    if (dialog) expect(states[0]!.payload.reason, name).toBe(`${dialog.kind}: ${dialog.text}`);
    told.push(dialog ? `blocked (${dialog.kind})` : screen.state);
  }
  terminal.dispose();
  return told;
}

describe.each(RECORDED_VERSIONS)("LiveScreen's state events on Claude Code %s recordings", (version) => {
  // `starting` last: the CLI exited at the recording's end and cleared its screen.
  it('a dialog no permission request is blocks the session, named in the state event; the parser reads the other states', async () => {
    expect(await statesTold('first-run/trust-folder', version)).toEqual(['blocked (trust_folder)']);
    expect(await statesTold('first-run/api-key', version)).toEqual(['blocked (api_key)']);
    // The CLI shows its prompt for a moment before it offers auto mode.
    expect(await statesTold('first-run/auto-mode-offer', version)).toEqual(['idle', 'blocked (auto_mode_offer)']);
    expect(await statesTold('first-run/mcp-server-approval', version)).toEqual(['blocked (mcp_server_approval)']);
    // A dialog that replaced the one that blocked the session is told: its row names what shows now.
    expect(await statesTold('first-run/trust-then-mcp', version)).toEqual(['blocked (trust_folder)', 'blocked (mcp_server_approval)']);
    // A notice under the prompt blocks it too: what is typed next would go to a CLI that cannot answer.
    expect(await statesTold('first-run/login-required', version)).toEqual(['idle', 'working', 'blocked (login_required)', 'starting']);
    // 2.1.332 gives its prompt back for a moment, the limit under the prompt sent, before it opens the menu (the same
    // screen as once "Stop and wait" is chosen: the session can take a prompt then); 2.1.331 opened the menu at once.
    const promptBeforeMenu = version === '2.1.331' ? [] : ['idle'];
    expect(await statesTold('first-run/usage-limit', version)).toEqual([
      'idle',
      'working',
      ...promptBeforeMenu,
      'blocked (usage_limit)',
      'starting',
    ]);
    // 2.1.332 drew its spinner before the API's answer came; 2.1.331's answer came before it drew one.
    const spunFirst = version === '2.1.331' ? [] : ['working'];
    expect(await statesTold('first-run/usage-limit-wait', version)).toEqual(['idle', ...spunFirst, 'blocked (usage_limit)', 'starting']);
    // Redrawn after each SIGCONT (a blank screen, then the frame): the command screen never stops blocking meanwhile.
    expect(await statesTold('redraws/help-continued', version)).toEqual(['idle', 'blocked (command_screen)']);
    // A permission dialog is no blocking dialog: the guard answers it.
    expect(await statesTold('bash-approve', version)).toEqual([
      'idle',
      'working',
      'waiting_permission',
      'idle',
      'working',
      'idle',
      'starting',
    ]);
  });
});
