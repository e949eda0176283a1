import fs from 'node:fs';
import { answerKeystrokes, answerSteps, type BlockingDialog, blockingDialogOn, parseBlockingDialog, parseScreen } from '@mission/worker';
import { describe, expect, it } from 'vitest';
import {
  asRead,
  checkpoint,
  fixturePath,
  loadRecording,
  RECORDED_VERSIONS,
  type Recording,
  recordedScenarios,
  versionsRecording,
} from './fixtures/recordings.ts';
import { firstRunScenarios } from './support/firstRunScenarios.ts';
import { QUESTION_FORM_READINGS, questionFormScenario } from './support/questions.ts';
import { replay } from './support/replay.ts';

/** The blocking dialog at a recorded checkpoint, with the recording's folder written as <W>. */
function dialogAt(recording: Recording, label: string): BlockingDialog | null {
  const dialog = parseBlockingDialog(checkpoint(recording, label).lines.join('\n'));
  return JSON.parse(JSON.stringify(dialog).replaceAll(recording.workdir, '<W>')) as BlockingDialog | null;
}

const list = (labels: string[], selected: number) => ({
  options: labels.map((label, i) => ({ key: String(i + 1), label })),
  numbered: false,
  selected: String(selected),
});

describe.each(RECORDED_VERSIONS)('blocking dialogs on Claude Code %s recordings', (version) => {
  it('has a recording of every first-run scenario, whose replay renders the screens it recorded', async () => {
    for (const scenario of firstRunScenarios) {
      expect(fs.existsSync(fixturePath(scenario.name, version)), scenario.name).toBe(true);
      const recording = loadRecording(scenario.name, version);
      for (const mark of recording.checkpoints) {
        expect(await replay(recording, { upTo: mark.chunkCount }), `${scenario.name}/${mark.label}`).toEqual(asRead(mark.screen));
      }
    }
  });

  it('folder trust', () => {
    expect(dialogAt(loadRecording('first-run/trust-folder', version), 'dialog')).toEqual({
      kind: 'trust_folder',
      text: expect.stringMatching(/^Accessing workspace:\n<W>\nQuick safety check: Is this a project you created or one you trust\?/),
      ...list(['No, exit', 'Yes, I trust this folder'], 1),
    });
  });

  it('API key confirmation', () => {
    expect(dialogAt(loadRecording('first-run/api-key', version), 'dialog')).toEqual({
      kind: 'api_key',
      text: 'Detected a custom API key in your environment\nANTHROPIC_API_KEY: sk-ant-...0123456789abcdefghij\nDo you want to use this API key?',
      ...list(['Yes', 'No (recommended)'], 2),
    });
  });

  it('auto mode offer', () => {
    expect(dialogAt(loadRecording('first-run/auto-mode-offer', version), 'dialog')).toEqual({
      kind: 'auto_mode_offer',
      text: expect.stringMatching(/^Make auto mode your default permission mode\?\nAuto mode lets Claude handle permission prompts/),
      ...list(['Yes, set auto mode as my default permission mode', 'No, keep manual mode'], 1),
    });
  });

  it('MCP server approval', () => {
    expect(dialogAt(loadRecording('first-run/mcp-server-approval', version), 'dialog')).toEqual({
      kind: 'mcp_server_approval',
      text: expect.stringMatching(/^New MCP server found in this project: notes\nMCP servers may execute code/),
      ...list(['Use this MCP server', 'Use this and all future MCP servers in this project', 'Continue without using this MCP server'], 3),
    });
  });

  it('one dialog after another: folder trust (naming the MCP servers it loads), answered, then the MCP server', () => {
    const chain = loadRecording('first-run/trust-then-mcp', version);
    expect(dialogAt(chain, 'trust')).toEqual({
      kind: 'trust_folder',
      text: expect.stringContaining('Trusting this folder loads .mcp.json here or above (MCP servers).'),
      ...list(['No, exit', 'Yes, I trust this folder'], 1),
    });
    expect(dialogAt(chain, 'mcp')).toMatchObject({ kind: 'mcp_server_approval', text: expect.stringMatching(/^New MCP server found/) });
  });

  it('login required: nothing to answer, the prompt comes back with the error', () => {
    const recording = loadRecording('first-run/login-required', version);
    expect(dialogAt(recording, 'idle')).toBeNull();
    expect(dialogAt(recording, 'blocked')).toEqual({
      kind: 'login_required',
      text: 'Not logged in · Please run /login',
      options: [],
      numbered: false,
      selected: null,
    });
  });

  it('usage limit: the menu when the CLI asks, the notice when it waits on its own', () => {
    const menu = loadRecording('first-run/usage-limit', version);
    expect(dialogAt(menu, 'idle')).toBeNull();
    expect(dialogAt(menu, 'dialog')).toEqual({
      kind: 'usage_limit',
      text: expect.stringMatching(/^You've hit your 5-hour limit · resets \d+:\d\d[ap]m \(UTC\)\nWhat do you want to do\?$/),
      options: [
        { key: '1', label: 'Stop and wait for limit to reset' },
        { key: '2', label: expect.stringMatching(/^Wait here, then continue automatically at \d+:\d\d[ap]m$/) },
        { key: '3', label: 'Upgrade your plan' },
      ],
      numbered: true,
      selected: '1',
    });
    const waiting = loadRecording('first-run/usage-limit-wait', version);
    expect(dialogAt(waiting, 'idle')).toBeNull();
    expect(dialogAt(waiting, 'blocked')).toEqual({
      kind: 'usage_limit',
      text: expect.stringMatching(
        /^Usage limit reached · limit resets \d+:\d\d[ap]m\nContinuing automatically at \d+:\d\d[ap]m · Esc to cancel$/,
      ),
      options: [],
      numbered: false,
      selected: null,
    });
  });

  it('reads the same dialog off the rows as the terminal gives them, blanks written at their end or not', () => {
    for (const name of [...firstRunScenarios.map((scenario) => scenario.name), ...recordedScenarios(version)]) {
      for (const mark of loadRecording(name, version).checkpoints) {
        const rows = mark.screen.lines;
        const expected = parseBlockingDialog(rows.join('\n'));
        expect(blockingDialogOn(rows), `${name}/${mark.label}`).toEqual(expected);
        expect(blockingDialogOn(rows.map((row) => `${row}   `)), `${name}/${mark.label} with trailing blanks`).toEqual(expected);
      }
    }
  });

  it('no blocking dialog on any screen of the working scenarios, permission dialogs included', () => {
    for (const name of recordedScenarios(version).filter((name) => name !== questionFormScenario.name)) {
      const recording = loadRecording(name, version);
      for (const mark of recording.checkpoints) expect(dialogAt(recording, mark.label), `${name}/${mark.label}`).toBeNull();
    }
  });
});

/** The versions whose CLI was recorded drawing Claude's question itself (tests/support/questions.ts). */
const QUESTION_FORM_VERSIONS = versionsRecording(questionFormScenario.name);

describe.each(QUESTION_FORM_VERSIONS)("Claude's question drawn by Claude Code %s (no hook holds it: the screen driver)", (version) => {
  const recording = loadRecording(questionFormScenario.name, version);
  const at = (label: string) => dialogAt(recording, label);

  it('each screen of the form is a `question` dialog, never a permission dialog', () => {
    expect(at('pick-any')).toEqual({
      ...QUESTION_FORM_READINGS.pickAny,
      numbered: true,
      selected: '1',
      form: { pickAny: true, checked: [], words: null, typed: '' },
    });
    expect(at('one-ticked')?.form?.checked).toEqual(['1']);
    expect(at('pick-any-ticked')?.form?.checked).toEqual(['1', '3']);
    expect(at('single')).toMatchObject({
      ...QUESTION_FORM_READINGS.single,
      form: { pickAny: false, checked: [], words: '3', typed: 'Type something.' },
    });
    expect(at('words-entry')).toMatchObject({ selected: '3', form: { typed: 'Type something.' } });
    expect(at('words-typed')).toMatchObject({ selected: '3', form: { typed: 'MariaDB, please' } });
    expect(at('review')).toMatchObject({ ...QUESTION_FORM_READINGS.review, form: { words: null } });
    expect(at('answered')).toBeNull();
    for (const mark of recording.checkpoints) {
      const snapshot = parseScreen(checkpoint(recording, mark.label));
      expect(snapshot.dialog, mark.label).toBeNull();
      expect(snapshot.state, mark.label).not.toBe('waiting_permission');
    }
  });

  it("an answer's steps are the keys the recording pressed, each one's end the screen recorded after it", () => {
    const check = (from: string, reply: Parameters<typeof answerSteps>[1], keys: string[], after: string[]) => {
      const steps = answerSteps(at(from)!, reply);
      expect(steps.map((step) => step.keys)).toEqual(keys);
      steps.forEach((step, i) => {
        expect(step.done(at(from)), `${from}: step ${i + 1} done before its keys`).toBe(false);
        expect(step.done(at(after[i]!)), `${from}: step ${i + 1} (${step.what}) on ${after[i]}`).toBe(true);
      });
    };
    check('pick-any', { option: '1,3' }, ['1', '3', '\x1b[C'], ['one-ticked', 'pick-any-ticked', 'single']);
    check('pick-any-ticked', { option: '3' }, ['1', '\x1b[C'], ['pick-any', 'single']);
    check('single', { text: 'MariaDB, please' }, ['3', 'MariaDB, please', '\r'], ['words-entry', 'words-typed', 'review']);
    check('single', { option: '2' }, ['2'], ['review']);
    check('review', { option: '1' }, ['1'], ['answered']);
  });

  it("refuses what the screen cannot take, in the person's terms", () => {
    expect(() => answerSteps(at('pick-any')!, { option: '4' })).toThrow(
      "the question dialog has no option '4'; it offers 1: Sessions; 2: Pages; 3: Queries",
    );
    expect(() => answerSteps(at('single')!, { option: '1,2' })).toThrow('the question dialog takes one option, not 2 (1,2)');
    expect(() => answerSteps(at('pick-any')!, { text: 'only the sessions' })).toThrow(
      'the question dialog is answered with one of its options, not in words; it offers 1: Sessions; 2: Pages; 3: Queries',
    );
    expect(() => answerSteps(at('review')!, { text: 'yes' })).toThrow(
      'the question dialog is answered with one of its options, not in words; it offers 1: Submit answers; 2: Cancel',
    );
    expect(() => answerSteps(at('single')!, { text: ' \n ' })).toThrow('an answer in words needs some words');
    // Control characters would act as keys in the form: they are typed as blanks.
    expect(answerSteps(at('single')!, { text: 'Maria\rDB' })[1]?.keys).toBe('Maria DB');
  });
});

describe('blocking dialog parser', () => {
  const rule = '─'.repeat(80);

  it('an unrecognised box with options is unknown, numbered or not', () => {
    const numbered = [rule, ' Choose a theme', '', ' ❯ 1. Dark mode', '   2. Light mode', '', ' Enter to confirm · Esc to cancel'].join(
      '\n',
    );
    expect(parseBlockingDialog(numbered)).toEqual({
      kind: 'unknown',
      text: 'Choose a theme',
      options: [
        { key: '1', label: 'Dark mode' },
        { key: '2', label: 'Light mode' },
      ],
      numbered: true,
      selected: '1',
    });
    const cursor = [rule, '  Something new', '    Accept', '  ❯ Decline', '  Enter to confirm'].join('\n');
    expect(parseBlockingDialog(cursor)).toMatchObject({ kind: 'unknown', text: 'Something new', ...list(['Accept', 'Decline'], 2) });
  });

  it('a notice under the prompt is found after any blank a regular expression calls one (\\s), and after nothing else', () => {
    const box = ['─'.repeat(40), '❯ ', '─'.repeat(40)];
    let blanks = 0;
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const lead = String.fromCharCode(code);
      const dialog = blockingDialogOn([`${lead}${lead}⚠ Usage limit reached · limit resets 3pm`, ...box]);
      const blank = /\s/.test(lead);
      expect(dialog?.kind ?? null, `U+${code.toString(16)}`).toBe(blank ? 'usage_limit' : null);
      if (blank) blanks++;
    }
    expect(blanks).toBeGreaterThan(20);
  });

  it('a numbered list in an answer above the input box is no dialog', () => {
    const screen = ['● Steps:', '  1. Build', '  2. Test', '', rule, '❯ ', rule, '  ? for shortcuts'].join('\n');
    expect(parseBlockingDialog(screen)).toBeNull();
  });

  it('answers with the digit of a numbered option, or with arrows and Enter in a list', () => {
    const trust = parseBlockingDialog(checkpoint(loadRecording('first-run/trust-folder'), 'dialog').lines.join('\n'))!;
    expect(answerKeystrokes(trust, '2')).toBe('\x1b[B\r');
    expect(answerKeystrokes(trust, '1')).toBe('\r');
    const mcp = parseBlockingDialog(checkpoint(loadRecording('first-run/mcp-server-approval'), 'dialog').lines.join('\n'))!;
    expect(answerKeystrokes(mcp, '1')).toBe('\x1b[A\x1b[A\r');
    const limit = parseBlockingDialog(checkpoint(loadRecording('first-run/usage-limit'), 'dialog').lines.join('\n'))!;
    expect(answerKeystrokes(limit, '2')).toBe('2');
    expect(() => answerKeystrokes(limit, '7')).toThrow(/no option '7'.*1\. Stop and wait/);
  });
});
