import type { EventPayload, EventType, MissionEventDraft } from '@mission/contracts';
import {
  HeadlessTerminal,
  parseScreen,
  type PermissionDialog,
  ReadPacer,
  SCREEN_READ_TIMING,
  ScreenFollower,
  type SessionSnapshot,
  SnapshotDiffer,
} from '@mission/worker';
import { describe, expect, it } from 'vitest';
import {
  asRead,
  checkpoint,
  loadRecording,
  RECORDED_VERSIONS,
  type Recording,
  recordedScenarios,
  versionsRecording,
} from './fixtures/recordings.ts';
import { questionFormScenario } from './support/questions.ts';
import { replay } from './support/replay.ts';
import { scenarios } from './support/scenarios.ts';

/** Parses a recorded checkpoint, with the recording's folder written as <W> so expectations read plainly. */
function snapshotAt(recording: Recording, label: string): SessionSnapshot {
  const snapshot = parseScreen(checkpoint(recording, label));
  return JSON.parse(JSON.stringify(snapshot).replaceAll(recording.workdir, '<W>')) as SessionSnapshot;
}

const idle = { state: 'idle', dialog: null, toolCalls: [], lastResponse: null, status: null, title: '✳ Claude Code' };

const bashOptions: PermissionDialog['options'] = [
  { key: '1', label: 'Yes', meaning: 'yes' },
  { key: '2', label: 'Yes, and always allow access to <W> from this project', meaning: 'yes_always' },
  { key: '3', label: 'No', meaning: 'no' },
];
const fileOptions: PermissionDialog['options'] = [
  { key: '1', label: 'Yes', meaning: 'yes' },
  {
    key: '2',
    label: 'Yes, and switch to accept edits (auto-approve file edits and common file commands) for this session (shift+tab)',
    meaning: 'yes_always',
  },
  { key: '3', label: 'No', meaning: 'no' },
];
/**
 * The "✻ Cooked for 3s · done 10:45 AM" line left after a turn at `label`, read as the line is drawn (its verb, time
 * and clock vary by recording).
 */
function doneStatus(recording: Recording, label: string) {
  const line = checkpoint(recording, label)
    .lines.map((row) => /^✻ (\S+ for (\d+)s · done \d+:\d\d [AP]M)\s*$/.exec(row))
    .find(Boolean);
  if (!line) throw new Error(`${recording.scenario}/${label} shows no done line`);
  return { text: line[1], elapsedSeconds: Number(line[2]), interruptible: false };
}

/** The spinner's line at `label` ("✶ Meandering… (8s · ↓ 32 tokens)"), read as drawn: its verb, clock and tokens vary by recording. */
function spinner(recording: Recording, label: string) {
  const line = checkpoint(recording, label)
    .lines.map((row) => /^\S (\S+…) \((\d+)s · ↓ (\d+) tokens\)/.exec(row))
    .find(Boolean);
  if (!line) throw new Error(`${recording.scenario}/${label} shows no spinner`);
  return { text: line[1], elapsedSeconds: Number(line[2]), tokens: Number(line[3]), interruptible: true };
}

describe.each(RECORDED_VERSIONS)('screen parser on Claude Code %s recordings', (version) => {
  it('has a recording of every scenario', () => {
    // And, from the versions it was recorded from, Claude's question drawn by the CLI (blocking-dialog.test.ts).
    const questionForm = versionsRecording(questionFormScenario.name).includes(version) ? [questionFormScenario.name] : [];
    expect(recordedScenarios(version)).toEqual([...scenarios.map((s) => s.name), ...questionForm].sort());
  });

  it('replaying a recording renders the screens it recorded', async () => {
    for (const name of recordedScenarios(version)) {
      const recording = loadRecording(name, version);
      for (const mark of recording.checkpoints) {
        expect(await replay(recording, { upTo: mark.chunkCount }), `${name}/${mark.label}`).toEqual(asRead(mark.screen));
      }
    }
  });

  it('startup: idle at the prompt, nothing said yet', () => {
    expect(snapshotAt(loadRecording('startup-idle', version), 'idle')).toMatchObject(idle);
  });

  it('plain answer: idle with the response', () => {
    const recording = loadRecording('plain-answer', version);
    expect(snapshotAt(recording, 'answered')).toMatchObject({
      ...idle,
      lastResponse: 'Hello from the stub.',
      status: doneStatus(recording, 'answered'),
    });
  });

  it('long streamed answer: working while it streams, then the whole text', () => {
    const recording = loadRecording('long-answer', version);
    expect(snapshotAt(recording, 'working')).toMatchObject({
      state: 'working',
      dialog: null,
      toolCalls: [],
      lastResponse: 'Line 1 of a long streamed answer about nothing in particular.',
      title: '◐ Claude Code',
    });
    const lines = Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of a long streamed answer about nothing in particular.`);
    expect(snapshotAt(recording, 'answered')).toMatchObject({
      ...idle,
      lastResponse: lines.join('\n'),
      status: doneStatus(recording, 'answered'),
    });
  });

  it('Bash: the permission dialog with the command and its options, then the output and answer', () => {
    const recording = loadRecording('bash-approve', version);
    const call = { tool: 'Bash', args: 'touch made-by-bash.txt && echo mission-bash-ok' };
    expect(snapshotAt(recording, 'dialog')).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Bash', target: call.args, question: 'Do you want to proceed?', options: bashOptions, selected: '1' },
      toolCalls: [{ ...call, output: [] }],
      lastResponse: 'I will run it.',
      status: null,
    });
    expect(snapshotAt(recording, 'answered')).toMatchObject({
      ...idle,
      toolCalls: [{ ...call, output: ['mission-bash-ok'] }],
      lastResponse: 'The command printed mission-bash-ok.',
      status: doneStatus(recording, 'answered'),
    });
  });

  it('Bash denied: the same dialog, then idle with the call refused', () => {
    const recording = loadRecording('bash-deny', version);
    expect(snapshotAt(recording, 'dialog')).toMatchObject({
      state: 'waiting_permission',
      dialog: {
        tool: 'Bash',
        target: 'rm -rf precious',
        question: 'Do you want to proceed?',
        // The folder 2.1.332 offers to allow is the one the command names; 2.1.331 offered the working folder.
        options: [
          bashOptions[0],
          { ...bashOptions[1], label: expect.stringMatching(/^Yes, and always allow access to <W>(\/precious)? from this project$/) },
          bashOptions[2],
        ],
        selected: '1',
      },
      toolCalls: [{ tool: 'Bash', args: 'rm -rf precious', output: [] }],
      lastResponse: 'I will delete it.',
    });
    expect(snapshotAt(recording, 'denied')).toMatchObject({
      ...idle,
      toolCalls: [{ tool: 'Bash', args: 'rm -rf precious', output: ['Interrupted · What should Claude do instead?'] }],
      lastResponse: 'I will delete it.',
    });
  });

  it('Write of a new file: the create dialog, then what was written', () => {
    const recording = loadRecording('write-approve', version);
    expect(snapshotAt(recording, 'dialog')).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Write', target: 'notes.txt', question: 'Do you want to create notes.txt?', options: fileOptions, selected: '1' },
      toolCalls: [{ tool: 'Write', args: '<W>/notes.txt', output: [] }],
      lastResponse: 'Creating the file.',
    });
    expect(snapshotAt(recording, 'answered')).toMatchObject({
      ...idle,
      toolCalls: [{ tool: 'Write', args: '<W>/notes.txt', output: ['Wrote 2 lines to <W>/notes.txt', ' 1 first line', ' 2 second line'] }],
      lastResponse: 'I created notes.txt.',
      status: doneStatus(recording, 'answered'),
    });
  });

  it('Edit of a file: Read runs unasked, the edit dialog, then the diff', () => {
    const recording = loadRecording('edit-approve', version);
    const read = { tool: 'Read', args: '<W>/greeting.txt', output: ['Read 1 line'] };
    expect(snapshotAt(recording, 'dialog')).toMatchObject({
      state: 'waiting_permission',
      dialog: {
        tool: 'Edit',
        target: 'greeting.txt',
        question: 'Do you want to make this edit to greeting.txt?',
        options: fileOptions,
        selected: '1',
      },
      toolCalls: [read, { tool: 'Update', args: '<W>/greeting.txt', output: [] }],
      lastResponse: 'Now the edit.',
    });
    expect(snapshotAt(recording, 'answered')).toMatchObject({
      ...idle,
      toolCalls: [
        read,
        { tool: 'Update', args: '<W>/greeting.txt', output: ['Added 1 line, removed 1 line', ' 1 -hello world', ' 1 +hello mission'] },
      ],
      lastResponse: 'I changed the greeting.',
      status: doneStatus(recording, 'answered'),
    });
  });

  it('interrupt: the spinner while working, then idle with the partial answer', () => {
    const recording = loadRecording('interrupt', version);
    const firstLine = Array.from({ length: 18 }, (_, i) => `word${i}`).join(' ');
    expect(snapshotAt(recording, 'working')).toMatchObject({
      state: 'working',
      dialog: null,
      lastResponse: firstLine,
      status: spinner(recording, 'working'),
      title: '◐ Claude Code',
    });
    expect(snapshotAt(recording, 'interrupted')).toMatchObject({ ...idle, lastResponse: `${firstLine}\nword18 wor` });
  });

  it('/exit: idle before, then the CLI leaves a blank screen and exits with 0', () => {
    const recording = loadRecording('exit', version);
    expect(snapshotAt(recording, 'idle')).toMatchObject(idle);
    expect(snapshotAt(recording, 'exited')).toMatchObject({ state: 'starting', blocks: [], dialog: null });
    expect(recording.exitCode).toBe(0);
  });

  it("the frame alone (what the hooks driver reads): the whole screen's state, dialog, status and title, without the transcript's blocks", () => {
    let screens = 0;
    for (const name of recordedScenarios(version)) {
      for (const { screen, label } of loadRecording(name, version).checkpoints) {
        expect(parseScreen(screen, 'frame'), `${name}/${label}`).toEqual({
          ...parseScreen(screen),
          blocks: [],
          toolCalls: [],
          lastResponse: null,
        });
        screens++;
      }
    }
    expect(screens).toBeGreaterThan(20);
  });

  it('a screen with nothing drawn yet is starting', () => {
    expect(parseScreen({ lines: Array(40).fill(''), title: '' })).toMatchObject({
      state: 'starting',
      blocks: [],
      status: null,
    });
  });
});

/**
 * Every event the differ produces while the recording plays up to its last checkpoint (after it the
 * recorder killed the CLI), reading the screen as the screen driver does: through a ScreenFollower, when its
 * ReadPacer says on the recording's clock (once the output paused; the spinner's ticks less often).
 */
async function eventsOf(name: string, version: string): Promise<MissionEventDraft[]> {
  const recording = loadRecording(name, version);
  const chunks = recording.chunks.slice(0, recording.checkpoints.at(-1)?.chunkCount);
  const terminal = new HeadlessTerminal({ cols: recording.cols, rows: recording.rows });
  const follower = new ScreenFollower(terminal);
  const pacer = new ReadPacer(SCREEN_READ_TIMING);
  const differ = new SnapshotDiffer();
  const events: MissionEventDraft[] = [];
  for (const [i, chunk] of chunks.entries()) {
    await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
    const due = pacer.rendered(chunk.t, follower.written());
    if (due > (chunks[i + 1]?.t ?? Number.POSITIVE_INFINITY)) continue;
    pacer.read(due);
    events.push(...differ.next(follower.read()));
  }
  terminal.dispose();
  return JSON.parse(JSON.stringify(events).replaceAll(recording.workdir, '<W>')) as MissionEventDraft[];
}

const ofType = <T extends EventType>(events: MissionEventDraft[], type: T): EventPayload<T>[] =>
  events.filter((e) => e.type === type).map((e) => e.payload as EventPayload<T>);

describe.each(RECORDED_VERSIONS)('snapshot differ on the Claude Code %s recordings', (version) => {
  it('Bash approve: each call, output, dialog and message once, in order', async () => {
    const events = await eventsOf('bash-approve', version);
    expect(ofType(events, 'state').map((p) => p.state)).toEqual(['idle', 'working', 'waiting_permission', 'working', 'idle']);
    expect(ofType(events, 'tool_call')).toEqual([
      {
        id: 'call-1',
        tool: 'Bash',
        input: { args: 'touch made-by-bash.txt && echo mission-bash-ok' },
        summary: 'touch made-by-bash.txt && echo mission-bash-ok',
      },
    ]);
    expect(ofType(events, 'tool_output')).toEqual([{ toolCallId: 'call-1', output: 'mission-bash-ok', isError: false }]);
    expect(ofType(events, 'permission_request')).toEqual([
      {
        tool: 'Bash',
        input: { target: 'touch made-by-bash.txt && echo mission-bash-ok', question: 'Do you want to proceed?' },
        summary: 'touch made-by-bash.txt && echo mission-bash-ok',
        options: bashOptions,
      },
    ]);
    expect(ofType(events, 'assistant_message').map((p) => p.text)).toEqual(['I will run it.', 'The command printed mission-bash-ok.']);
    const order = events.map((e) => e.type).filter((t) => t !== 'status' && t !== 'title' && t !== 'state');
    expect(order).toEqual(['user_message', 'assistant_message', 'tool_call', 'permission_request', 'tool_output', 'assistant_message']);
    expect(ofType(events, 'user_message')).toEqual([{ text: 'run the echo command' }]);
  });

  it('Edit: the Read that ran unasked and the text before it are reported too', async () => {
    const events = await eventsOf('edit-approve', version);
    expect(ofType(events, 'tool_call').map((p) => `${p.tool} ${p.summary}`)).toEqual(['Read <W>/greeting.txt', 'Update <W>/greeting.txt']);
    expect(ofType(events, 'assistant_message').map((p) => p.text)).toEqual([
      'Reading it first.',
      'Now the edit.',
      'I changed the greeting.',
    ]);
    expect(ofType(events, 'tool_output').map((p) => p.output)).toEqual([
      'Read 1 line',
      'Added 1 line, removed 1 line\n 1 -hello world\n 1 +hello mission',
    ]);
  });

  it('a streamed answer is one message, sent when it is complete', async () => {
    const events = await eventsOf('long-answer', version);
    const messages = ofType(events, 'assistant_message');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.text.split('\n')).toHaveLength(12);
    expect(ofType(events, 'state').map((p) => p.state)).toEqual(['idle', 'working', 'idle']);
  });

  it('status: the spinner while working, not an event per clock tick', async () => {
    const events = await eventsOf('interrupt', version);
    const statuses = ofType(events, 'status');
    const { text } = spinner(loadRecording('interrupt', version), 'working');
    expect(statuses.some((s) => s.interruptible && s.text === text)).toBe(true);
    const ticks = statuses.filter((s, i) => i > 0 && s.text === statuses[i - 1]?.text && s.tokens === statuses[i - 1]?.tokens);
    expect(ticks).toEqual([]);
    expect(ofType(events, 'title').map((p) => p.title)).toContain('◐ Claude Code');
    expect(
      ofType(events, 'state')
        .map((p) => p.state)
        .at(-1),
    ).toBe('idle');
  });
});
