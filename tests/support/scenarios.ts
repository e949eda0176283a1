import fs from 'node:fs';
import path from 'node:path';
import type { ClaudeHomeOptions } from './claudeEnv.ts';
import type { StubAnthropic, StubReply } from './stubAnthropic.ts';

/**
 * The interactive Claude Code scenarios: recorded as fixtures for the parser's tests
 * (tests/fixtures/record.ts) and run live through the worker (tests/sessions-e2e.test.ts).
 *
 * A step either acts on the session or waits until the screen shows something, then names the
 * moment (a checkpoint) so the parser tests can say exactly what it must read there.
 */
export type Step =
  /** Type the text and press Enter (what `send` does). */
  | { send: string }
  /** Press a key of the open permission dialog's option meaning this (what `confirm` does). */
  | { confirm: 'yes' | 'yes_always' | 'no' }
  /** Stop what Claude is doing (what `interrupt` does). */
  | { interrupt: true }
  /** Press the key of an option of the dialog no permission request is (what `answer` does). */
  | { answer: string }
  /** Press these keys, as a person at the terminal does (recordings only). */
  | { keys: string }
  /** Wait until every one of these texts is on the screen (and none of `absent`), then checkpoint. */
  | { waitFor: string[]; absent?: string[]; checkpoint: string };

export interface Scenario {
  name: string;
  /** Creates files the scenario needs in the session's folder and scripts the stub's replies. */
  prepare(context: { workdir: string; stub: StubAnthropic }): void;
  steps: Step[];
  /** How its HOME differs from the one Mission prepares (a first run: see firstRunScenarios.ts). */
  home?: (context: { workdir: string }) => Pick<ClaudeHomeOptions, 'auth' | 'files'>;
  /** More environment for the CLI. */
  env?: Record<string, string>;
  /** The CLI exits at the end (the `/exit` scenario). */
  exits?: boolean;
}

/** Footer of the prompt while Claude Code is waiting for input. */
export const IDLE_FOOTER = '? for shortcuts';
/** Shown while Claude Code works on a turn. */
export const WORKING_HINT = 'esc to interrupt';
export const DIALOG_QUESTION = 'Do you want';

const LONG_TEXT = Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of a long streamed answer about nothing in particular.`).join('\n');
const SLOW_TEXT = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

/** Replies in order to the conversation's requests (requests that carry tools), ignoring side requests. */
function script(stub: StubAnthropic, replies: StubReply[]): void {
  const queue = [...replies];
  stub.respond((request) => (request.tools.length > 0 ? queue.shift() : { text: 'side request' }));
}

export const scenarios: Scenario[] = [
  {
    name: 'startup-idle',
    prepare: () => {
      /* no reply to script: no prompt of this scenario reaches the model */
    },
    steps: [{ waitFor: [IDLE_FOOTER], checkpoint: 'idle' }],
  },
  {
    name: 'plain-answer',
    prepare: ({ stub }) => script(stub, [{ text: 'Hello from the stub.' }]),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'say hello' },
      { waitFor: ['Hello from the stub.', IDLE_FOOTER], checkpoint: 'answered' },
    ],
  },
  {
    name: 'long-answer',
    prepare: ({ stub }) => script(stub, [{ text: LONG_TEXT, chunks: 24, chunkDelayMs: 120 }]),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'write a long answer' },
      { waitFor: [WORKING_HINT], checkpoint: 'working' },
      { waitFor: ['Line 12 of a long streamed answer', IDLE_FOOTER], absent: [WORKING_HINT], checkpoint: 'answered' },
    ],
  },
  {
    name: 'bash-approve',
    prepare: ({ stub }) =>
      script(stub, [
        {
          text: 'I will run it.',
          toolUses: [
            { name: 'Bash', input: { command: 'touch made-by-bash.txt && echo mission-bash-ok', description: 'Create a marker file' } },
          ],
        },
        { text: 'The command printed mission-bash-ok.' },
      ]),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'run the echo command' },
      { waitFor: [DIALOG_QUESTION], checkpoint: 'dialog' },
      { confirm: 'yes' },
      { waitFor: ['The command printed mission-bash-ok.', IDLE_FOOTER], checkpoint: 'answered' },
    ],
  },
  {
    name: 'bash-deny',
    prepare: ({ stub, workdir }) => {
      fs.mkdirSync(path.join(workdir, 'precious'), { recursive: true });
      fs.writeFileSync(path.join(workdir, 'precious', 'keep.txt'), 'keep me\n');
      script(stub, [
        {
          text: 'I will delete it.',
          toolUses: [{ name: 'Bash', input: { command: 'rm -rf precious', description: 'Delete the folder' } }],
        },
      ]);
    },
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'delete the precious folder' },
      { waitFor: [DIALOG_QUESTION], checkpoint: 'dialog' },
      { confirm: 'no' },
      { waitFor: [IDLE_FOOTER], absent: [DIALOG_QUESTION], checkpoint: 'denied' },
    ],
  },
  {
    name: 'write-approve',
    prepare: ({ stub, workdir }) =>
      script(stub, [
        {
          text: 'Creating the file.',
          toolUses: [{ name: 'Write', input: { file_path: path.join(workdir, 'notes.txt'), content: 'first line\nsecond line\n' } }],
        },
        { text: 'I created notes.txt.' },
      ]),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'create notes.txt' },
      { waitFor: [DIALOG_QUESTION], checkpoint: 'dialog' },
      { confirm: 'yes' },
      { waitFor: ['I created notes.txt.', IDLE_FOOTER], checkpoint: 'answered' },
    ],
  },
  {
    name: 'edit-approve',
    prepare: ({ stub, workdir }) => {
      const file = path.join(workdir, 'greeting.txt');
      fs.writeFileSync(file, 'hello world\n');
      script(stub, [
        { text: 'Reading it first.', toolUses: [{ name: 'Read', input: { file_path: file } }] },
        {
          text: 'Now the edit.',
          toolUses: [{ name: 'Edit', input: { file_path: file, old_string: 'hello world', new_string: 'hello mission' } }],
        },
        { text: 'I changed the greeting.' },
      ]);
    },
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'change the greeting' },
      { waitFor: [DIALOG_QUESTION], checkpoint: 'dialog' },
      { confirm: 'yes' },
      { waitFor: ['I changed the greeting.', IDLE_FOOTER], checkpoint: 'answered' },
    ],
  },
  {
    name: 'interrupt',
    prepare: ({ stub }) => script(stub, [{ text: SLOW_TEXT, chunks: 60, chunkDelayMs: 500 }]),
    steps: [
      { waitFor: [IDLE_FOOTER], checkpoint: 'idle' },
      { send: 'talk slowly' },
      { waitFor: [WORKING_HINT, 'word2'], checkpoint: 'working' },
      { interrupt: true },
      { waitFor: [IDLE_FOOTER], absent: [WORKING_HINT], checkpoint: 'interrupted' },
    ],
  },
  {
    name: 'exit',
    prepare: () => {
      /* no reply to script: no prompt of this scenario reaches the model */
    },
    steps: [{ waitFor: [IDLE_FOOTER], checkpoint: 'idle' }, { send: '/exit' }],
    exits: true,
  },
];
