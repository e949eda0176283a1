import { describe, expect, it } from 'vitest';
import { type SessionCommandName, type WorkerCommandName, workerCommands } from './workerCommands.ts';

const turn = { state: 'idle', response: 'done', dialog: null, approval: null };
const screen = { state: 'idle', title: 'claude', lines: ['> '], cursor: { row: 0, col: 2 }, dialog: null, status: null };
const ccSession = {
  id: 'c1',
  workerId: 'w1',
  cwd: '/work',
  projectDir: '-work',
  gitBranch: null,
  firstPrompt: 'hi',
  summary: null,
  model: null,
  userMessages: 1,
  assistantMessages: 1,
  toolUses: 0,
  lastActivity: null,
  inProgress: false,
  todos: [],
};

/** Each command with arguments as the API sends them and a result as the worker answers it. */
const examples: { [N in WorkerCommandName]: { args: unknown; result: unknown } } = {
  send: { args: { sessionId: 'ses_1', text: 'hello', timeoutMs: 300_000 }, result: turn },
  confirm: { args: { sessionId: 'ses_1', choice: 'yes_always', timeoutMs: 1_000, by: 'token ops' }, result: { ...turn, state: 'working' } },
  answer: { args: { sessionId: 'ses_1', option: '1', timeoutMs: 1_000 }, result: turn },
  interrupt: { args: { sessionId: 'ses_1' }, result: { ...turn, approval: { id: 'apr_1', expiresAt: '2026-01-01T00:00:00Z' } } },
  screen: {
    args: { sessionId: 'ses_1' },
    result: { ...screen, blocking: { kind: 'trust_folder', text: 'Trust?', options: [{ key: '1', label: 'Yes' }] } },
  },
  serialize: { args: { sessionId: 'ses_1' }, result: '\x1b[H> ' },
  kill: { args: { sessionId: 'ses_1' }, result: { exitCode: null, signal: 'SIGKILL' } },
  deliver_messages: { args: { sessionId: 'ses_1' }, result: null },
  'cc.sessions': { args: {}, result: [ccSession] },
};

describe('the worker command table', () => {
  it('holds the commands the API has always sent, by their wire names', () => {
    expect(Object.keys(workerCommands).sort()).toEqual([
      'answer',
      'cc.sessions',
      'confirm',
      'deliver_messages',
      'interrupt',
      'kill',
      'screen',
      'send',
      'serialize',
    ]);
  });

  it.each(Object.keys(examples) as WorkerCommandName[])(
    '%s: takes the arguments the API sends and the result a worker answers, unchanged',
    (name) => {
      const { args, result } = examples[name];
      expect(workerCommands[name].args.parse(args)).toEqual(args);
      expect(workerCommands[name].result.parse(result)).toEqual(result);
    },
  );

  it('names the session in the arguments of every command on one', () => {
    const onSession: SessionCommandName[] = ['send', 'confirm', 'answer', 'interrupt', 'screen', 'serialize', 'kill', 'deliver_messages'];
    for (const name of onSession) expect(workerCommands[name].args.safeParse({}).success, name).toBe(false);
    expect(workerCommands['cc.sessions'].args.parse({ sessionId: 'ses_1' })).toEqual({});
  });

  it('refuses arguments of the wrong kind', () => {
    expect(workerCommands.send.args.safeParse({ sessionId: 'ses_1', text: 'hi', timeoutMs: 0 }).success).toBe(false);
    expect(workerCommands.send.args.safeParse({ sessionId: 'ses_1', text: 'hi', timeoutMs: 1.5 }).success).toBe(false);
    expect(workerCommands.confirm.args.safeParse({ sessionId: 'ses_1', choice: 'maybe', timeoutMs: 1_000, by: 'x' }).success).toBe(false);
    expect(workerCommands.confirm.args.safeParse({ sessionId: 'ses_1', choice: 'yes', timeoutMs: 1_000 }).success).toBe(false);
    expect(workerCommands.answer.args.safeParse({ sessionId: 1, option: '1', timeoutMs: 1_000 }).success).toBe(false);
  });

  it('refuses results that are not what the command answers', () => {
    expect(workerCommands.send.result.safeParse({ state: 'thinking', response: null, dialog: null, approval: null }).success).toBe(false);
    expect(workerCommands.screen.result.safeParse(turn).success).toBe(false);
    expect(workerCommands.serialize.result.safeParse(null).success).toBe(false);
    expect(workerCommands.deliver_messages.result.safeParse(undefined).success).toBe(false);
    expect(workerCommands['cc.sessions'].result.safeParse([{ id: 'c1' }]).success).toBe(false);
  });
});
