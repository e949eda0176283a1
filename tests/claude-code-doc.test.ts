import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Session } from '@mission/contracts';
import { HeadlessTerminal } from '@mission/worker';
import pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import { CACHES_QUESTION, DATABASE_QUESTION } from './support/questions.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const doc = fs.readFileSync(path.join(repoRoot, 'docs/claude-code.md'), 'utf8');
/** The doc's shell commands, in order, as written. */
const commands = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
  block[1]!.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#')),
);
/** What the doc asks the main agent to do. */
const mainPrompt = /claude -p "([^"]+)"/.exec(doc)![1]!;
/** What the main agent (as the stub scripts it) types into the session it starts. */
const SESSION_TEXT = 'Say hello.';
const SESSION_ANSWER = 'Hello from the spawned session.';
/** What a headless main agent asks a task with mission_ask. */
const ASK_PROMPT = 'Ask a helper which database to use.';
/** What an interactive one asks. */
const STACK_ASK_PROMPT = 'Ask a helper about the stack.';
/** Each main agent's mission_ask (by its prompt): the task's prompt, and the questions that task's Claude asks back. */
const ASKS: Record<string, { helper: string; questions: object[] }> = {
  [ASK_PROMPT]: { helper: 'Pick a database for the helper.', questions: [DATABASE_QUESTION] },
  [STACK_ASK_PROMPT]: { helper: 'Pick a stack for the helper.', questions: [DATABASE_QUESTION, CACHES_QUESTION] },
};

/** What an interactive main agent asks a task to do that a rule asks a person about (the helper's Write). */
const WRITE_ASK_PROMPT = 'Ask a helper to write the notes.';
const WRITE_HELPER_PROMPT = 'Write the notes for the main agent.';
/** The slot that write runs on: its role asks a person before any edit. */
const ASKS_BEFORE_WRITING = 'asks-before-writing';

/**
 * docs/claude-code.md run as written: its commands in a shell, with the real claude CLI as the main agent and
 * mission-mcp as its MCP server, against a whole Mission; the stub Messages API plays both the main agent's model
 * (which calls Mission's tools) and the model of the session it starts.
 */
describe('docs/claude-code.md, as written', () => {
  let bed: ClaudeTestBed;
  let main: ClaudeHome;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let sessionId = '';

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-main-agent-'));
    main = prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [project] });
    // `claude` and `mission-mcp` on PATH, as after installing them.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-doc-bin-'));
    fs.symlinkSync(CLAUDE_BIN, path.join(bin, 'claude'));
    fs.symlinkSync(path.join(repoRoot, 'packages/cli/bin/mission-mcp.mjs'), path.join(bin, 'mission-mcp'));
    env = {
      ...process.env,
      ...main.env,
      PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH}`,
      MISSION_URL: bed.system.url,
      MISSION_TOKEN: bed.system.auth.authorization.slice('Bearer '.length),
    };
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      if (request.lastUserText === SESSION_TEXT) return { text: SESSION_ANSWER };
      const last = request.toolResults.at(-1);
      if (request.conversation.includes(WRITE_HELPER_PROMPT))
        return last
          ? { text: `The helper was told: ${last.content}` }
          : { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: notesFile(), content: 'the notes\n' } }] };
      if (request.conversation.includes(WRITE_ASK_PROMPT))
        return last
          ? { text: `Mission answered: ${last.content}` }
          : { toolUses: [{ name: 'mcp__mission__mission_ask', input: { slot: ASKS_BEFORE_WRITING, prompt: WRITE_HELPER_PROMPT } }] };
      for (const [ask, { helper, questions }] of Object.entries(ASKS)) {
        if (request.conversation.includes(helper)) {
          return last
            ? { text: `The helper was told: ${last.content}` }
            : { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions } }] };
        }
        if (request.conversation.includes(ask)) {
          return last
            ? { text: `Mission answered: ${last.content}` }
            : { toolUses: [{ name: 'mcp__mission__mission_ask', input: { prompt: helper } }] };
        }
      }
      if (!last)
        return request.lastUserText === mainPrompt
          ? { toolUses: [{ id: 'toolu_spawn', name: 'mcp__mission__mission_pty_spawn', input: { slot: 'default' } }] }
          : undefined;
      if (last.toolUseId === 'toolu_spawn') {
        sessionId = /ses_\w+/.exec(last.content)![0];
        return {
          toolUses: [{ id: 'toolu_send', name: 'mcp__mission__mission_pty_send', input: { session: sessionId, text: SESSION_TEXT } }],
        };
      }
      if (last.toolUseId === 'toolu_send') {
        const answer = last.content.includes(SESSION_ANSWER) ? SESSION_ANSWER : `no answer (${last.content})`;
        return {
          text: `It answered: ${answer}`,
          toolUses: [{ id: 'toolu_kill', name: 'mcp__mission__mission_pty_kill', input: { session: sessionId } }],
        };
      }
      if (last.toolUseId === 'toolu_kill') return { text: `The session answered "${SESSION_ANSWER}"; I ended it.` };
      return undefined;
    });
  });
  afterAll(async () => {
    await bed?.close();
    await main?.remove();
  });
  /** Where the helper that a rule asks about writes. */
  const notesFile = () => path.join(bed.workdir, 'notes.txt');

  it('add the server, see it connected, run the round trip: the session really ran and answered, and was ended', async () => {
    expect(commands).toEqual([
      'claude mcp add mission -- mission-mcp',
      'claude mcp list',
      `claude -p "${mainPrompt}" --allowedTools mcp__mission`,
    ]);
    const outputs: string[] = [];
    for (const command of commands) {
      const { stdout } = await promisify(execFile)('bash', ['-c', command], { cwd: project, env, timeout: 150_000 });
      outputs.push(stdout);
    }
    expect(outputs[1]).toMatch(/mission: mission-mcp +- ✔ Connected/);
    expect(outputs[2]).toContain(`The session answered "${SESSION_ANSWER}"; I ended it.`);

    const session = (await (await bed.system.fetch(`/v1/sessions/${sessionId}`)).json()) as Session;
    expect(session).toMatchObject({ id: sessionId, slot: 'default', state: 'exited', exitReason: 'killed on request' });
    const events = await bed.system.core.events.list(sessionId);
    expect(events.some((event) => event.type === 'assistant_message' && event.payload.text === SESSION_ANSWER)).toBe(true);
  }, 240_000);

  /** Mission's MCP server for a main agent, as a `--mcp-config` file. */
  const missionConfig = () => {
    const config = path.join(project, 'mission-mcp.json');
    fs.writeFileSync(config, JSON.stringify({ mcpServers: { mission: { command: 'mission-mcp' } } }));
    return ['--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__mission'];
  };
  /** What the task `ask` started was told in answer to its question. */
  const helperWasTold = (ask: string) =>
    bed.stub.conversationRequests(ASKS[ask]!.helper).flatMap((request) => request.toolResults.map((result) => result.content));

  it("a headless main agent's mission_ask whose Claude asks a question: claude -p takes no form (it dismisses it at once), so the helper's Claude is told at once and goes on", async () => {
    const { stdout } = await promisify(execFile)('claude', ['-p', ASK_PROMPT, ...missionConfig()], { cwd: project, env, timeout: 150_000 });
    // Seen on Claude Code 2.1.332: a headless claude declares forms (elicitation) and answers each with `cancel` at once.
    const told = 'Mission denied this (token:test-admin): Your questions were dismissed without an answer.';
    expect(helperWasTold(ASK_PROMPT)).toEqual([expect.stringContaining(told)]);
    expect(stdout).toContain(`Mission answered: The helper was told: ${told}`);
    const [task] = (await bed.system.core.tasks.list({ limit: 10 })).tasks.filter((each) => each.prompt === ASKS[ASK_PROMPT]!.helper);
    const decisions = (await bed.system.core.events.list(task!.id)).filter((event) => event.type === 'permission_decision');
    expect(decisions.map((event) => event.payload)).toEqual([
      expect.objectContaining({ tool: 'AskUserQuestion', decision: 'deny', by: 'token:test-admin' }),
    ]);
  }, 240_000);

  /** Keys as a terminal sends them. */
  const [down, right, left] = ['\x1b[B', '\x1b[C', '\x1b[D'];

  /**
   * The real Claude Code in a terminal as the main agent, with Mission's MCP server: what its screen shows, and its
   * keys pressed as a person presses them, each step seen on the screen before the next.
   */
  async function interactiveMainAgent() {
    const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
    const claude = pty.spawn('claude', missionConfig(), { name: 'xterm-256color', cols: 120, rows: 40, cwd: project, env });
    claude.onData((data) => terminal.write(data));
    const screen = () => terminal.screen().lines.join('\n');
    const shows = (what: string | RegExp) => (typeof what === 'string' ? screen().includes(what) : what.test(screen()));
    /** Presses `keys`, then waits until the screen shows what they did. */
    const press = async (keys: string, shown: string | RegExp, what: string) => {
      claude.write(keys);
      await waitUntil(() => shows(shown), 30_000, what);
    };
    const close = () => {
      claude.kill();
      terminal.dispose();
    };
    await waitUntil(() => shows('? for shortcuts'), 60_000, 'claude to take a prompt').catch((error: unknown) => {
      close();
      throw error;
    });
    return {
      screen,
      press,
      /**
       * Accept under the cursor, pressed until the form is gone. Accept ignores Enter for a moment after the form last
       * changed (the CLI's guard against keys typed ahead), and nothing on the screen says when that ends: a person
       * who sees the form still there presses again.
       */
      async accept() {
        const pressEnterOnAccept = () => {
          expect(screen()).toMatch(/❯ Accept/);
          claude.write('\r');
        };
        pressEnterOnAccept();
        await waitUntil(
          () => {
            if (!shows('MCP server “mission” requests your input')) return true;
            pressEnterOnAccept();
            return false;
          },
          30_000,
          'the form accepted',
          1_000,
        );
      },
      /** Writes `keys` without waiting for the screen (the caller looks). */
      write: (keys: string) => claude.write(keys),
      close,
    };
  }

  it("an interactive main agent (Claude Code in a terminal): its mission_ask's questions come up as Claude Code's own form; picked there with its keys, the answers reach the helper's Claude", async () => {
    const { screen, press, accept, close } = await interactiveMainAgent();
    try {
      await press(STACK_ASK_PROMPT, STACK_ASK_PROMPT, 'the prompt typed');
      await press('\r', 'MCP server “mission” requests your input', "the helper's questions as a form");
      expect(screen()).toContain('Claude, working on your ask on slot default, has 2 questions for you.');
      // Seen on Claude Code 2.1.332: → opens a field's options, ↓ moves, Enter picks one, Space ticks one of several.
      await press(right, /❯ ◯ Postgres: The relational one/, "the first question's options");
      await press(down, /❯ ◯ SQLite: The embedded one/, 'SQLite under the cursor');
      await press('\r', '✔ Database: SQLite: The embedded one', 'SQLite picked');
      await press(down, /❯ +Caches: ▸ not set/, 'the second question');
      await press(right, /❯ ☐ Sessions: Who is logged in/, "the second question's options");
      await press(' ', /❯ ☒ Sessions/, 'Sessions ticked');
      await press(down, /❯ ☐ Pages/, 'Pages under the cursor');
      await press(down, /❯ ☐ Queries/, 'Queries under the cursor');
      await press(' ', /❯ ☒ Queries/, 'Queries ticked');
      await press('\r', '✔ Caches: Sessions: Who is logged in, Queries: Query results', 'the two caches picked');
      await press(down, /❯ Accept/, 'Accept under the cursor');
      await accept();
      await waitUntil(() => screen().includes('Mission answered: The helper was told:'), 60_000, "the ask's answer");
      expect(helperWasTold(STACK_ASK_PROMPT)).toEqual([
        expect.stringContaining('"Which database should we use?"="SQLite", "Which caches should it keep?"="Sessions, Queries"'),
      ]);
    } finally {
      close();
    }
  }, 240_000);

  it("an interactive main agent: a tool use its mission_ask's task waits for (a rule asks a person) comes up as Claude Code's own form; allowed there with its keys, the helper's tool runs", async () => {
    await bed.system.core.roles.put(ASKS_BEFORE_WRITING, { description: 'ask before writing', confirm: ['Edit'] }, 'test');
    await bed.system.core.slots.put(ASKS_BEFORE_WRITING, { role: ASKS_BEFORE_WRITING, cwd: bed.workdir, env: bed.claude.env });
    const { screen, press, accept, write, close } = await interactiveMainAgent();
    try {
      await press(WRITE_ASK_PROMPT, WRITE_ASK_PROMPT, 'the prompt typed');
      await press('\r', 'MCP server “mission” requests your input', "the helper's tool use as a form");
      expect(screen()).toContain(
        `Claude, working on your ask on slot ${ASKS_BEFORE_WRITING}, wants to use Write (the rule Edit asks a person)`,
      );
      await press(right, /❯ ◯ Allow Write/, "the decision's options");
      await press('\r', '✔ Your decision: Allow Write', 'Allow picked');
      // Seen on Claude Code 2.1.332: once an option is picked, the form may move on to the next field by itself, a moment
      // later. As a person does, look, then press: ↓ until Accept is under the cursor (← back to it from Decline).
      let last = '';
      let unchanged = 0;
      await waitUntil(
        () => {
          const now = screen();
          if (/❯ Accept/.test(now)) return true;
          // The key took (the screen changed), or nothing came of it for a second: the next one.
          if (now === last && ++unchanged < 2) return false;
          last = now;
          unchanged = 0;
          write(/❯ Decline/.test(now) ? left : down);
          return false;
        },
        30_000,
        'Accept under the cursor',
        500,
      );
      await accept();
      await waitUntil(() => screen().includes('Mission answered:'), 60_000, "the ask's answer");
      expect(fs.readFileSync(notesFile(), 'utf8')).toBe('the notes\n');
      const [task] = (await bed.system.core.tasks.list({ limit: 10 })).tasks.filter((each) => each.prompt === WRITE_HELPER_PROMPT);
      const decisions = (await bed.system.core.events.list(task!.id)).filter((event) => event.type === 'permission_decision');
      expect(decisions.map((event) => event.payload)).toEqual([
        expect.objectContaining({ tool: 'Write', decision: 'allow', by: 'token:test-admin' }),
      ]);
    } finally {
      close();
    }
  }, 240_000);
});
