import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Session } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { DATABASE_QUESTION } from './support/questions.ts';

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
/** What a headless main agent asks a task with mission_ask, and what that task's Claude asks back. */
const ASK_PROMPT = 'Ask a helper which database to use.';
const HELPER_PROMPT = 'Pick a database for the helper.';

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
      if (request.conversation.includes(HELPER_PROMPT)) {
        return last
          ? { text: `The helper assumed SQLite (told: ${last.content})` }
          : {
              text: 'One question first.',
              toolUses: [{ id: 'toolu_question', name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }],
            };
      }
      if (request.conversation.includes(ASK_PROMPT)) {
        return last
          ? { text: `Mission answered: ${last.content}` }
          : { toolUses: [{ id: 'toolu_ask', name: 'mcp__mission__mission_ask', input: { prompt: HELPER_PROMPT } }] };
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

  it("a headless main agent's mission_ask whose Claude asks a question: claude -p takes no form (it dismisses it at once), so the helper's Claude is told at once and goes on", async () => {
    const config = path.join(project, 'mission-mcp.json');
    fs.writeFileSync(config, JSON.stringify({ mcpServers: { mission: { command: 'mission-mcp' } } }));
    const { stdout } = await promisify(execFile)(
      'claude',
      ['-p', ASK_PROMPT, '--mcp-config', config, '--strict-mcp-config', '--allowedTools', 'mcp__mission'],
      { cwd: project, env, timeout: 150_000 },
    );
    // Seen on Claude Code 2.1.332: a headless claude declares forms (elicitation) and answers each with `cancel` at once.
    expect(stdout).toContain(
      'Mission answered: The helper assumed SQLite (told: Mission denied this (token:test-admin): Your questions were dismissed without an answer.',
    );
    const [task] = (await bed.system.core.tasks.list({ limit: 10 })).tasks.filter((each) => each.prompt === HELPER_PROMPT);
    const decisions = (await bed.system.core.events.list(task!.id)).filter((event) => event.type === 'permission_decision');
    expect(decisions.map((event) => event.payload)).toEqual([
      expect.objectContaining({ tool: 'AskUserQuestion', decision: 'deny', by: 'token:test-admin' }),
    ]);
  }, 240_000);
});
