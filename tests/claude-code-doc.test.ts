import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Session } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';

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
});
