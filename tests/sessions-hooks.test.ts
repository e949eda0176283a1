import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Approval, MissionEvent, Session, SessionScreen, SessionTurn } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { claudeHomePaths } from '@mission/worker';
import { lastCostState, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { addProjectMcpServer } from './support/firstRunScenarios.ts';
import { processesIn, waitUntil } from './support/processes.ts';
import { ADMIN } from './support/system.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';

/**
 * Sessions followed through the CLI's hooks and transcript (the real claude CLI against the stub API):
 * permission requests answered by the hook (no key typed), turn ends from Stop, replies from the
 * transcript whatever their length, dialogs no hook reports as a `blocked` state.
 * MISSION_TEST_STRESS=load|pause|both runs them under CPU load and/or with claude paused in bursts.
 */
describe('interactive sessions through hooks (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  let replies: Record<string, StubReply[]>;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);

  async function spawn(body: Record<string, unknown> = {}): Promise<Session> {
    const res = await call<Session>('POST', '/v1/sessions', { slot: 'default', ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  const send = (id: string, text: string) => call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text, timeoutMs: 60_000 });
  /** Ends the session's claude its own way (`/exit`, so it writes its cost-state as it exits) and waits for the session to be exited. */
  const exitOwnWay = async (id: string) => {
    await send(id, '/exit');
    await waitUntil(
      async () => (await call<Session>('GET', `/v1/sessions/${id}`)).body.state === 'exited',
      30_000,
      'the session to be exited',
    );
  };
  const events = (id: string) => bed.system.core.events.list(id, 0, { limit: 1_000 });
  const screenOf = async (id: string) => (await call<SessionScreen>('GET', `/v1/sessions/${id}/screen?format=json`)).body;
  const typedPrompts = () => bed.stub.requests.filter((r) => r.tools.length > 0 && r.toolResults.length === 0).map((r) => r.lastUserText);

  it("two permission requests in one turn: the first approved, the second denied with a reason Claude reads, no key typed; tool names and inputs are the CLI's own", async () => {
    const first = path.join(bed.workdir, 'first.txt');
    const second = path.join(bed.workdir, 'second.txt');
    replies['write two files'] = [
      { text: 'Writing the first.', toolUses: [{ name: 'Write', input: { file_path: first, content: 'one\n' } }] },
      {
        text: 'Writing the second.',
        toolUses: [{ name: 'Bash', input: { command: 'echo two > second.txt', description: 'Write the second' } }],
      },
      { text: 'Done with both.' },
    ];
    const session = await spawn();
    const asked = await send(session.id, 'write two files');
    expect(asked.body).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Write', target: 'first.txt' },
      approval: { id: expect.stringMatching(/^appr_/) },
    });
    expect(asked.body.dialog?.options.map((o) => o.meaning)).toEqual(['yes', 'yes_always', 'no']);

    const approved = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' });
    expect(approved.body).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Bash', target: 'echo two > second.txt' } });
    expect(approved.body.approval?.id).not.toBe(asked.body.approval?.id);
    expect(fs.readFileSync(first, 'utf8')).toBe('one\n');

    const yesWithReason = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/confirm`, {
      choice: 'yes',
      reason: 'fine by me',
    });
    expect(yesWithReason.status).toBe(400);
    expect(yesWithReason.body.error.message).toContain("a reason goes with choice 'no' only");
    const denied = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'no', reason: 'one file is enough' });
    expect(denied.body).toEqual({ state: 'idle', response: 'Done with both.', dialog: null, approval: null });
    expect(fs.existsSync(second)).toBe(false);
    const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
    expect(told).toContainEqual(expect.stringContaining('one file is enough'));

    const log = await events(session.id);
    const calls = log
      .filter((e): e is Extract<MissionEvent, { type: 'tool_call' }> => e.type === 'tool_call')
      .map((e) => [e.payload.tool, e.payload.input]);
    const requests = log
      .filter((e): e is Extract<MissionEvent, { type: 'permission_request' }> => e.type === 'permission_request')
      .map((e) => [e.payload.tool, e.payload.input]);
    expect(calls).toEqual([
      ['Write', { file_path: first, content: 'one\n' }],
      ['Bash', { command: 'echo two > second.txt', description: 'Write the second' }],
    ]);
    expect(requests).toEqual(calls);
    expect(log.filter((e) => e.type === 'permission_decision').map((e) => e.payload)).toEqual([
      { tool: 'Write', decision: 'allow', by: 'token:test-admin', approvalId: asked.body.approval?.id },
      {
        tool: 'Bash',
        decision: 'deny',
        by: 'token:test-admin',
        reason: 'Mission denied this (token:test-admin): one file is enough',
        approvalId: approved.body.approval?.id,
      },
    ]);
    // Nothing was typed but the prompt: no stray key reached Claude's input.
    expect(log.filter((e) => e.type === 'user_message').map((e) => e.payload.text)).toEqual(['write two files']);
    const next = 'anything else?';
    replies[next] = [{ text: 'Nothing else.' }];
    expect((await send(session.id, next)).body).toMatchObject({ state: 'idle', response: 'Nothing else.' });
    expect(typedPrompts().filter((p) => p === next || p.endsWith(next))).toEqual([next]);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  // /proc/<pid>/cmdline is every user's to read: with the secret in the `--settings` argument, any agent user of the
  // machine could post a forged Stop (a reply claude never gave) or permission request to another user's session.
  it("the hooks' secret is in claude's environment, not its arguments: what every user can read of it does not call its hooks", async () => {
    const session = await spawn();
    await waitUntil(async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'idle', 30_000, 'idle');
    const claudePid = processesIn(bed.workdir).find((pid) =>
      fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(session.claudeSessionId ?? session.id),
    );
    expect(claudePid).toBeDefined();
    const argv = fs.readFileSync(`/proc/${claudePid}/cmdline`, 'utf8').split('\0');
    const settings = JSON.parse(argv[argv.indexOf('--settings') + 1]!) as {
      hooks: Record<string, { hooks: { url: string; headers: Record<string, string> }[] }[]>;
    };
    const { url, headers } = settings.hooks.Stop![0]!.hooks[0]!;
    const secret = fs
      .readFileSync(`/proc/${claudePid}/environ`, 'utf8')
      .split('\0')
      .find((entry) => entry.startsWith('MISSION_HOOK_SECRET='))
      ?.slice('MISSION_HOOK_SECRET='.length);
    expect(secret).toMatch(/^[\w-]{20,}$/);
    expect(argv.join(' ')).not.toContain(secret);
    const forged = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ hook_event_name: 'Stop', session_id: session.claudeSessionId, last_assistant_message: 'forged' }),
    });
    expect(forged.status).toBe(404);
    replies['after the forgery'] = [{ text: 'The real reply.' }];
    expect((await send(session.id, 'after the forgery')).body).toMatchObject({ state: 'idle', response: 'The real reply.' });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("a reply three times the screen height arrives whole in the send answer and the assistant_message event; where the slot sets up claude's telemetry itself, the cost comes from the transcript as claude exits", async () => {
    const rows = 20;
    const text = Array.from({ length: rows * 3 }, (_, i) => `Line ${i + 1} of a reply longer than the screen.`).join('\n');
    replies['answer at length'] = [{ text, chunks: 12, chunkDelayMs: 20 }];
    // Its own telemetry setting (off): Mission leaves it as it is, so claude tells its cost only as it exits.
    const slot = { cwd: bed.workdir, env: { ...bed.claude.env, CLAUDE_CODE_ENABLE_TELEMETRY: '0' } };
    expect((await call('PUT', '/v1/slots/own-telemetry', slot)).status).toBe(200);
    const session = await spawn({ rows, slot: 'own-telemetry' });
    const turn = await send(session.id, 'answer at length');
    expect(turn.body).toEqual({ state: 'idle', response: text, dialog: null, approval: null });
    const log = await events(session.id);
    expect(log.filter((e) => e.type === 'assistant_message').map((e) => e.payload.text)).toEqual([text]);
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body.costUsd).toBeNull();
    // The CLI writes its cost (cost-state) to the transcript as it exits: it is ended with /exit, its own way out. A
    // kill would do too on a quiet machine, but under heavy load its SIGKILL (1 s after SIGTERM) can come first.
    await exitOwnWay(session.id);
    const after = await events(session.id);
    const usage = after.filter((e): e is Extract<MissionEvent, { type: 'usage' }> => e.type === 'usage');
    expect(usage.at(-1)?.payload.costUsd).toBeGreaterThan(0);
    // The reply's event came from Stop (the transcript's write of it may come later): the transcript's record of it is not a second one.
    expect(after.filter((e) => e.type === 'assistant_message').map((e) => e.payload.text)).toEqual([text]);
  });

  it("a session driven by its screen, where the slot sets up claude's telemetry itself: its cost comes from its transcript as claude exits", async () => {
    const slot = { cwd: bed.workdir, env: { ...bed.claude.env, CLAUDE_CODE_ENABLE_TELEMETRY: '0' } };
    expect((await call('PUT', '/v1/slots/own-telemetry-screen', slot)).status).toBe(200);
    const session = await spawn({ slot: 'own-telemetry-screen', driver: 'screen' });
    expect(session.driver).toBe('screen');
    replies['a screen and no metrics'] = [{ text: 'Costed at the end.' }];
    expect((await send(session.id, 'a screen and no metrics')).body).toMatchObject({ state: 'idle', response: 'Costed at the end.' });
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body.costUsd).toBeNull();
    // Ended its own way (/exit), so the CLI writes its cost-state as it exits (see above).
    await exitOwnWay(session.id);
    const ended = (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
    const atExit = lastCostState(bed.claude, ended.claudeSessionId!)!;
    expect(atExit.totalCostUSD).toBeGreaterThan(0);
    expect(ended.costUsd).toBeCloseTo(atExit.totalCostUSD, 12);
    const log = await events(session.id);
    // Told before its end: the usage event comes before the state event that says it exited.
    const types = log
      .map((e) => (e.type === 'state' ? `state:${e.payload.state}` : e.type))
      .filter((t) => t === 'usage' || t.startsWith('state:'));
    expect(types.slice(-2)).toEqual(['usage', 'state:exited']);
  });

  it("a session's cost and tokens are known while it runs, from its claude's own metrics: the figures the CLI writes as it exits", async () => {
    replies['what does it cost'] = [{ text: 'Little.' }];
    const session = await spawn();
    const sessionNow = async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
    expect((await send(session.id, 'what does it cost')).body.state).toBe('idle');
    await waitUntil(async () => (await sessionNow()).costUsd !== null, 30_000, "the session's running cost");
    const live = await sessionNow();
    expect(live.state).toBe('idle');
    expect(live.costUsd).toBeGreaterThan(0);
    expect(live.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    await send(session.id, '/exit');
    await waitUntil(async () => (await sessionNow()).state === 'exited', 30_000, 'the session to be exited');
    const atExit = lastCostState(bed.claude, live.claudeSessionId!)!;
    expect(live.costUsd).toBeCloseTo(atExit.totalCostUSD, 10);
    expect((await sessionNow()).costUsd).toBe(live.costUsd);
    // The CLI's own total at its exit is the figure told already: not told again.
    const told = (await events(session.id)).filter((e) => e.type === 'usage').map((e) => e.payload.costUsd);
    expect(told.at(-1)).toBe(live.costUsd);
    expect(told).toEqual([...new Set(told)].sort((x, y) => x - y));
  });

  it('a prompt sent while a permission request waits is refused with 409, and nothing is typed', async () => {
    replies['run a command'] = [
      { text: 'Running.', toolUses: [{ name: 'Bash', input: { command: 'echo held > held.txt', description: 'Held' } }] },
      { text: 'Ran it.' },
    ];
    const session = await spawn();
    const asked = await send(session.id, 'run a command');
    expect(asked.body.state).toBe('waiting_permission');
    const refused = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/send`, {
      text: 'typed over the dialog',
    });
    expect(refused.status).toBe(409);
    // The tool use, and how to decide its approval, by any client.
    const approvalId = asked.body.approval!.id;
    expect(refused.body.error.message).toBe(
      `the session is waiting for a permission answer (Bash echo held > held.txt): decide approval ${approvalId} first (\`mission approve ${approvalId}\` or --deny, POST /v1/approvals/${approvalId}/approve or /deny, mission_approve)`,
    );
    expect((await screenOf(session.id)).lines.join('\n')).not.toContain('typed over the dialog');
    expect((await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' })).body).toMatchObject({
      state: 'idle',
      response: 'Ran it.',
    });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('two prompts sent at once: one is typed and answered, the other refused with 409; the CLI gets one prompt', async () => {
    replies['the first of two'] = [{ text: 'First answered.' }];
    replies['the second of two'] = [{ text: 'Second answered.' }];
    const session = await spawn();
    const answers = await Promise.all([send(session.id, 'the first of two'), send(session.id, 'the second of two')]);
    const typed = answers.find((answer) => answer.status === 200);
    const refused = answers.find((answer) => answer.status === 409) as { body: unknown } | undefined;
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(refused?.body).toMatchObject({
      error: { message: 'the session is still working on the previous message: wait, or interrupt it' },
    });
    expect(['First answered.', 'Second answered.']).toContain(typed?.body.response);
    const prompts = (await events(session.id)).filter((e) => e.type === 'user_message').map((e) => e.payload.text);
    expect(prompts).toHaveLength(1);
    expect(['the first of two', 'the second of two']).toContain(prompts[0]);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  // The interrupted turn's mark ("[Request interrupted by user for tool use]") may reach the transcript after the
  // next prompt's UserPromptSubmit (the CLI writes its transcript in batches): it names its own prompt (promptId),
  // so it does not end the new turn.
  it('interrupt while a permission request waits for an approval: the approval expires and cannot be approved; the session is idle and usable', async () => {
    replies['touch a file'] = [
      { text: 'Touching.', toolUses: [{ name: 'Bash', input: { command: 'touch interrupted.txt', description: 'Touch' } }] },
    ];
    const session = await spawn();
    const asked = await send(session.id, 'touch a file');
    const approvalId = asked.body.approval!.id;
    const interrupted = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`);
    expect(interrupted.body).toMatchObject({ state: 'idle', dialog: null, approval: null });
    expect((await bed.system.core.approvals.get(approvalId, ADMIN)).status).toBe('expired');
    expect((await call<Approval>('POST', `/v1/approvals/${approvalId}/approve`, {})).status).toBe(409);
    expect(fs.existsSync(path.join(bed.workdir, 'interrupted.txt'))).toBe(false);
    replies['still there?'] = [{ text: 'Still here.' }];
    expect((await send(session.id, 'still there?')).body).toMatchObject({ state: 'idle', response: 'Still here.' });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  // Recorded: tests/fixtures/claude/<version>/hooks/slash-commands.json. Most commands call no hook, so no Stop ends them.
  it('slash commands sent: one the CLI runs itself answers with what it printed; one that opens a screen of its own blocks the session until interrupt closes it; /clear ends at the end of the conversation', async () => {
    replies['before the commands'] = [{ text: 'Before.' }];
    replies['after the commands'] = [{ text: 'After.' }];
    const session = await spawn();
    expect((await send(session.id, 'before the commands')).body).toMatchObject({ state: 'idle', response: 'Before.' });
    const startedIn = (await bed.system.core.sessions.get(session.id)).claudeSessionId;
    expect(startedIn).toEqual(expect.any(String));

    const unknown = await send(session.id, '/foo');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ state: 'idle', response: expect.stringMatching(/^Unknown command: \/foo\b/) });

    const help = await send(session.id, '/help');
    expect(help.status).toBe(200);
    expect(help.body).toMatchObject({ state: 'blocked', response: expect.stringMatching(/^Help {2}General\b/) });
    expect((await screenOf(session.id)).blocking).toMatchObject({ kind: 'command_screen', options: [] });
    const refused = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/send`, { text: 'typed over the help' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      /^the session shows a command_screen dialog \("Help .*"\): close it first with POST \/v1\/sessions\/:id\/interrupt/,
    );
    expect((await call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`)).body).toMatchObject({ state: 'idle' });
    expect((await screenOf(session.id)).blocking).toBeNull();

    expect((await send(session.id, '/clear')).body).toMatchObject({ state: 'idle', response: '' });
    expect((await send(session.id, 'after the commands')).body).toMatchObject({ state: 'idle', response: 'After.' });
    const notices = (await events(session.id))
      .filter((e): e is Extract<MissionEvent, { type: 'notice' }> => e.type === 'notice')
      .filter((e) => e.payload.kind === 'command_output');
    expect(notices.map((e) => e.payload.text)).toEqual([unknown.body.response, help.body.response, '']);
    // Nothing was typed but the prompts and the commands.
    expect((await screenOf(session.id)).lines.join('\n')).not.toContain('typed over the help');
    expect(typedPrompts().filter((prompt) => prompt.endsWith('the commands'))).toHaveLength(2);

    // After /clear the CLI runs in another Claude Code session: the session's row follows it, so a resume resumes the
    // cleared conversation, not the one before it.
    await waitUntil(
      async () => (await bed.system.core.sessions.get(session.id)).claudeSessionId !== startedIn,
      10_000,
      'the new Claude Code session to be recorded',
    );
    await call('POST', `/v1/sessions/${session.id}/kill`);
    expect((await call<Session>('POST', `/v1/sessions/${session.id}/resume`)).status).toBe(200);
    replies['after the resume'] = [{ text: 'Resumed.' }];
    expect((await send(session.id, 'after the resume')).body).toMatchObject({ state: 'idle', response: 'Resumed.' });
    const conversation = JSON.stringify(bed.stub.requests.at(-1)?.body.messages);
    expect(conversation).toContain('after the commands');
    expect(conversation).not.toContain('before the commands');
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  // Claude Code 2.1.332 runs no hook of the turn for /compact and records its output as a user message (compact.json).
  it.each(['hooks', 'screen'] as const)(
    "/compact after a turn answers with what it printed, not the earlier reply above it; /clear then ''; the next prompt is answered (%s driver)",
    async (driver) => {
      replies['before the compact'] = [{ text: 'Before the compact.' }];
      replies['after the compact'] = [{ text: 'After the compact.' }];
      const session = await spawn({ driver });
      expect((await send(session.id, 'before the compact')).body).toMatchObject({ state: 'idle', response: 'Before the compact.' });
      const compacted = await send(session.id, '/compact');
      expect(compacted.status).toBe(200);
      expect(compacted.body).toMatchObject({ state: 'idle', response: 'Compacted' });
      // The CLI asked the model for its summary: the command ran, it was not taken for a prompt.
      expect(typedPrompts()).not.toContain('/compact');
      expect((await send(session.id, '/clear')).body).toMatchObject({ state: 'idle', response: '' });
      expect((await send(session.id, 'after the compact')).body).toMatchObject({ state: 'idle', response: 'After the compact.' });
      if (driver === 'hooks') {
        const notices = (await events(session.id)).filter((e) => e.type === 'notice' && e.payload.kind === 'command_output');
        expect(notices.map((e) => e.type === 'notice' && e.payload.text)).toEqual(['Compacted', '']);
      }
      await call('POST', `/v1/sessions/${session.id}/kill`);
    },
  );

  // A long session's context fills up: the CLI compacts it by itself once a turn leaves it nearly full (auto-compact,
  // its window made small by CLAUDE_CODE_AUTO_COMPACT_WINDOW; 100k is the least it takes).
  it.each(['hooks', 'screen'] as const)(
    'a conversation the CLI compacts by itself: the turn that filled it and the prompt after it are answered as any other (%s driver)',
    async (driver) => {
      const slot = `auto-compact-${driver}`;
      const env = { ...bed.claude.env, CLAUDE_CODE_AUTO_COMPACT_WINDOW: '100000' };
      expect((await call('PUT', `/v1/slots/${slot}`, { cwd: bed.workdir, env })).status).toBe(200);
      replies[`fill the context (${driver})`] = [{ text: 'Nearly full.', usage: { input_tokens: 99_000, output_tokens: 10 } }];
      replies[`after the full context (${driver})`] = [{ text: 'Answered after the compaction.' }];
      const summaries = () => bed.stub.requests.filter((r) => r.lastUserText?.startsWith('CRITICAL: Respond with TEXT ONLY')).length;
      const session = await spawn({ slot, driver });
      const before = summaries();
      // The CLI compacts nothing shorter than two turns.
      replies[`first turn (${driver})`] = [{ text: 'First.' }];
      expect((await send(session.id, `first turn (${driver})`)).body).toMatchObject({ state: 'idle', response: 'First.' });
      expect((await send(session.id, `fill the context (${driver})`)).body).toMatchObject({ state: 'idle', response: 'Nearly full.' });
      expect((await send(session.id, `after the full context (${driver})`)).body).toMatchObject({
        state: 'idle',
        response: 'Answered after the compaction.',
      });
      // The CLI asked the model for the conversation's summary first.
      expect(summaries()).toBeGreaterThan(before);
      await call('POST', `/v1/sessions/${session.id}/kill`);
    },
  );

  it("a command Claude ran in the background ends after the turn: the CLI's own turn that tells Claude is a notice, not the person's message; the session works, then is idle and usable", async () => {
    replies['check it in the background'] = [
      {
        text: 'Starting the check.',
        toolUses: [{ name: 'Bash', input: { command: 'sleep 1; echo checked', description: 'Run the check', run_in_background: true } }],
      },
      { text: 'It runs in the background.' },
    ];
    const session = await spawn();
    let turn = await send(session.id, 'check it in the background');
    if (turn.body.state === 'waiting_permission')
      turn = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' });
    expect(turn.body).toMatchObject({ state: 'idle', response: 'It runs in the background.' });
    // The CLI tells Claude once the command has ended, in a turn of its own (the stub answers it "OK").
    const told = async () => (await events(session.id)).find((e) => e.type === 'notice' && e.payload.kind === 'task_notification');
    await waitUntil(async () => (await told()) !== undefined, 30_000, 'the background command to end');
    const notice = (await told())!;
    expect(notice.payload).toEqual({ kind: 'task_notification', text: 'Background command "Run the check" completed (exit code 0)' });
    await waitUntil(async () => (await bed.system.core.sessions.get(session.id)).state === 'idle', 30_000, "the CLI's own turn to end");
    const all = await events(session.id);
    expect(all.filter((e) => e.type === 'user_message').map((e) => e.type === 'user_message' && e.payload.text)).toEqual([
      'check it in the background',
    ]);
    // Claude's answer to it, then the session idle again.
    const after = all.filter((e) => e.seq > notice.seq);
    const answered = after.find((e) => e.type === 'assistant_message' && e.payload.text === 'OK');
    expect(answered).toBeDefined();
    expect(after.some((e) => e.seq > answered!.seq && e.type === 'state' && e.payload.state === 'idle')).toBe(true);
    replies['after the background check'] = [{ text: 'After it.' }];
    expect((await send(session.id, 'after the background check')).body).toMatchObject({ state: 'idle', response: 'After it.' });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("a background agent's permission request outlives the turn that started it: the send answers waiting_permission with it, confirm lets the agent go on, the session is idle; the CLI's own turn once it finished is a notice", async () => {
    const file = path.join(bed.workdir, 'delegated.txt');
    // Requests of the main conversation and of the agent's are told apart by their first message.
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      if (JSON.stringify((request.body.messages as unknown[])[0]).includes('write the delegated file'))
        return request.toolResults.length === 0
          ? { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'from the agent\n' } }] }
          : { text: 'The agent wrote it.' };
      if (request.lastUserText === 'delegate the file')
        return {
          text: 'Delegating.',
          toolUses: [
            {
              name: 'Agent',
              input: { description: 'Write the file', prompt: 'write the delegated file', subagent_type: 'general-purpose' },
            },
          ],
        };
      return { text: request.toolResults.length > 0 ? 'Delegated.' : 'Noted.' };
    });
    try {
      const session = await spawn();
      // Claude Code 2.1.332 runs the agent in the background: the turn ends, before or after the agent's Write asks for
      // a person; either way the session then waits for that decision, and says so.
      const asked = await send(session.id, 'delegate the file');
      expect(['waiting_permission', 'idle']).toContain(asked.body.state);
      await waitUntil(
        async () => (await bed.system.core.sessions.get(session.id)).state === 'waiting_permission',
        30_000,
        "the agent's Write to wait for a person",
      );
      const screen = await screenOf(session.id);
      expect(screen).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Write', target: 'delegated.txt' } });
      const refused = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/send`, { text: 'meanwhile' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/^the session is waiting for a permission answer \(Write delegated\.txt\)/);

      const confirmed = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' });
      expect(confirmed.body).toMatchObject({ state: 'idle', dialog: null, approval: null });
      await waitUntil(() => fs.existsSync(file), 30_000, 'the agent to write its file');
      expect(fs.readFileSync(file, 'utf8')).toBe('from the agent\n');
      // Once the agent has finished, the CLI tells Claude in a turn of its own.
      const told = async () => (await events(session.id)).find((e) => e.type === 'notice' && e.payload.kind === 'task_notification');
      await waitUntil(async () => (await told()) !== undefined, 30_000, 'the agent to finish');
      expect((await told())?.payload).toEqual({ kind: 'task_notification', text: 'Agent "Write the file" finished' });
      // The agent's tool call and its report are marked as its own; Claude's call that started it is not.
      const log = await events(session.id);
      const agent = { id: expect.stringMatching(/^a[0-9a-f]+$/), type: 'general-purpose' };
      const calls = log.flatMap((e) => (e.type === 'tool_call' ? [[e.payload.tool, e.payload.subagent]] : []));
      expect(calls).toEqual([
        ['Agent', undefined],
        ['Write', agent],
      ]);
      // So is its request: the person deciding it is told it is the agent's.
      expect(log.find((e) => e.type === 'permission_request')?.payload).toMatchObject({ tool: 'Write', subagent: agent });
      const requested = log.find((e) => e.type === 'approval_requested');
      expect(requested?.payload).toMatchObject({ tool: 'Write', subagent: agent });
      // The approval itself says so too, wherever it is listed (mission approvals, the console, MCP).
      const approvalId = requested?.type === 'approval_requested' ? requested.payload.approvalId : '';
      expect((await call<Approval>('GET', `/v1/approvals/${approvalId}`)).body).toMatchObject({ tool: 'Write', subagent: agent });
      // What the agent said and what its Write gave it, from its own transcript (the session's holds none of it); its
      // report once, whether its end or its transcript told it first.
      const agentSaid = log.flatMap((e) => (e.type === 'assistant_message' && e.payload.subagent ? [e.payload.text] : []));
      expect(agentSaid).toEqual(['Writing.', 'The agent wrote it.']);
      const write = log.find((e) => e.type === 'tool_call' && e.payload.tool === 'Write');
      const outputs = log.flatMap((e) => (e.type === 'tool_output' && e.payload.subagent ? [e.payload] : []));
      expect(outputs).toEqual([
        {
          toolCallId: write?.type === 'tool_call' ? write.payload.id : undefined,
          output: expect.stringContaining('delegated.txt'),
          isError: false,
          subagent: agent,
        },
      ]);
      const report = log.find((e) => e.type === 'assistant_message' && e.payload.text === 'The agent wrote it.');
      expect(report?.payload).toEqual({ text: 'The agent wrote it.', subagent: agent });
      expect(report!.seq).toBeLessThan((await told())!.seq);
      await waitUntil(async () => (await bed.system.core.sessions.get(session.id)).state === 'idle', 30_000, "the CLI's own turn to end");
      expect((await send(session.id, 'what now')).body).toMatchObject({ state: 'idle', response: 'Noted.' });
      await call('POST', `/v1/sessions/${session.id}/kill`);
    } finally {
      replies = scriptByPrompt(bed.stub);
    }
  });

  // The CLI refuses keys read within 250 ms of a dialog's mount (its guard against keys meant for the screen before):
  // the answer's keys are written once that has passed since the dialog was first seen.
  // The screen driver (a CLI run without hooks) reads the same dialog off the same screen.
  it.each(['hooks', 'screen'] as const)(
    "a dialog no hook reports (a project's MCP server) makes the session blocked: send answers 409 naming it; answer picks an option once (%s driver)",
    async (driver) => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-mcp-dialog-'));
      addProjectMcpServer(folder);
      try {
        expect((await call('PUT', '/v1/slots/mcp-dialog', { cwd: folder, env: bed.claude.env })).status).toBe(200);
        const session = await spawn({ slot: 'mcp-dialog', driver });
        expect(session.driver).toBe(driver);
        const stateOf = async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
        await waitUntil(async () => (await stateOf()).state === 'blocked', 30_000, 'the session to be blocked');
        const blocked = await stateOf();
        expect(blocked.blocking).toMatchObject({
          kind: 'mcp_server_approval',
          text: expect.stringContaining('New MCP server found in this project: notes'),
        });
        const refused = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/send`, { text: 'hello?' });
        expect(refused.status).toBe(409);
        expect(refused.body.error.message).toMatch(
          /^the session shows a mcp_server_approval dialog \("New MCP server found in this project: notes"\): answer it first/,
        );
        expect((await screenOf(session.id)).blocking?.kind).toBe('mcp_server_approval');
        expect((await screenOf(session.id)).lines.join('\n')).not.toContain('hello?');
        const without = blocked.blocking!.options.find((option) => option.label.startsWith('Continue without'))!;
        const answered = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/answer`, { option: without.key });
        expect(answered.status).toBe(200);
        await waitUntil(async () => (await stateOf()).state === 'idle', 30_000, 'the session to be idle');
        expect((await stateOf()).blocking).toBeNull();
        const states = (await events(session.id)).filter((e) => e.type === 'state').map((e) => e.payload.state);
        expect(states).toEqual(['starting', 'blocked', 'idle']);
        // The blocked state's event carries the dialog as the row showed it: what a notification tells a person to do.
        const blockedState = (await events(session.id)).find((e) => e.type === 'state' && e.payload.state === 'blocked')!;
        expect(blockedState.payload).toMatchObject({ blocking: blocked.blocking });
        const prompt = `past the dialog (${driver})?`;
        replies[prompt] = [{ text: 'Past it.' }];
        expect((await send(session.id, prompt)).body).toMatchObject({ state: 'idle', response: 'Past it.' });
        await call('POST', `/v1/sessions/${session.id}/kill`);
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  // The hooks driver hears it from the CLI's StopFailure hook (its error kind in the message); the screen driver from
  // the CLI's report, which it draws where Claude's reply goes ("API Error: 500 …").
  it.each([
    ['hooks', "Claude Code's request to the model failed (server_error): API Error: 500 Internal server boom."],
    ['screen', "Claude Code's request to the model failed: API Error: 500 Internal server boom."],
  ] as const)(
    "a turn that ends on a failed model request (the API's 500): the send is a 502 turn_failed in the CLI's words, the session idle and usable (%s driver)",
    async (driver, said) => {
      const prompt = `fail on the API (${driver})`;
      replies[prompt] = [{ error: { status: 500, type: 'api_error', message: 'Internal server boom' } }];
      replies[`and now? (${driver})`] = [{ text: 'Back to normal.' }];
      // No retries: the CLI gives up on the first 500 (it retries with back-off by default).
      const slot = { cwd: bed.workdir, env: { ...bed.claude.env, CLAUDE_CODE_MAX_RETRIES: '0' } };
      expect((await call('PUT', '/v1/slots/no-retries', slot)).status).toBe(200);
      const session = await spawn({ slot: 'no-retries', driver });
      const failed = await send(session.id, prompt);
      expect(failed.status).toBe(502);
      expect(failed.body).toMatchObject({ error: { code: 'turn_failed' } });
      const { message } = (failed.body as unknown as { error: { message: string } }).error;
      expect(message.startsWith(said), message).toBe(true);
      expect(message).toMatch(/The session is back at its prompt: send again\.$/);
      expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state).toBe('idle');
      const errors = (await events(session.id)).filter((event) => event.type === 'error');
      expect(errors.map((event) => event.payload)).toEqual([
        { code: 'turn_failed', message: expect.stringContaining('Internal server boom') },
      ]);
      // The CLI's report is no message of Claude's.
      const claudeSaid = (await events(session.id)).filter((event) => event.type === 'assistant_message');
      expect(claudeSaid.map((event) => event.payload)).toEqual([]);
      expect((await send(session.id, `and now? (${driver})`)).body).toMatchObject({ state: 'idle', response: 'Back to normal.' });
      await call('POST', `/v1/sessions/${session.id}/kill`);
    },
  );

  // The CLI's Notification hook: 6 s after a permission dialog nobody answered, and once it has idled at its prompt
  // for messageIdleNotifThresholdMs (lowered to 1 s in this slot's Claude Code config).
  it('what the CLI tells the person at its terminal (Notification) are notice events: a permission dialog left waiting, then the idle prompt', async () => {
    const claude = prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [bed.workdir] });
    const config = claudeHomePaths({ HOME: claude.home }).config;
    fs.writeFileSync(config, JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')), messageIdleNotifThresholdMs: 1_000 }));
    try {
      expect((await call('PUT', '/v1/slots/notices', { cwd: bed.workdir, env: claude.env })).status).toBe(200);
      replies['touch a noticed file'] = [
        { text: 'Touching.', toolUses: [{ name: 'Bash', input: { command: 'touch noticed.txt', description: 'Touch' } }] },
        { text: 'Touched it.' },
      ];
      const session = await spawn({ slot: 'notices' });
      const asked = await send(session.id, 'touch a noticed file');
      expect(asked.body).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Bash' } });
      const notices = async () =>
        (await events(session.id)).filter((e): e is Extract<MissionEvent, { type: 'notice' }> => e.type === 'notice').map((e) => e.payload);
      await waitUntil(async () => (await notices()).some((n) => n.kind === 'permission_prompt'), 60_000, 'the permission notice');
      expect((await notices()).find((n) => n.kind === 'permission_prompt')).toEqual({
        kind: 'permission_prompt',
        text: 'Claude needs your permission',
      });
      expect((await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' })).body).toMatchObject({
        state: 'idle',
        response: 'Touched it.',
      });
      await waitUntil(async () => (await notices()).some((n) => n.kind === 'idle_prompt'), 60_000, 'the idle notice');
      expect((await notices()).find((n) => n.kind === 'idle_prompt')).toEqual({
        kind: 'idle_prompt',
        text: 'Claude is waiting for your input',
      });
      expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state).toBe('idle');
      await call('POST', `/v1/sessions/${session.id}/kill`);
    } finally {
      await claude.remove();
    }
  });

  // claude's own settings can forbid every hook (disableAllHooks): a hooks-driven session would never hear its turn end.
  it('a claude whose settings disable hooks is followed by its screen, and the session says so and why; its cost is known all the same', async () => {
    const claude = prepareClaudeHome({ apiUrl: bed.stub.url, trustedDirs: [bed.workdir] });
    const settings = claudeHomePaths({ HOME: claude.home }).settings;
    fs.writeFileSync(settings, JSON.stringify({ ...JSON.parse(fs.readFileSync(settings, 'utf8')), disableAllHooks: true }));
    try {
      expect((await call('PUT', '/v1/slots/hooks-off', { cwd: bed.workdir, env: claude.env })).status).toBe(200);
      const session = await spawn({ slot: 'hooks-off' });
      expect(session.driver).toBe('screen');
      const notice = (await events(session.id)).find((e) => e.type === 'notice');
      expect(notice?.payload).toEqual({
        kind: 'hooks_forbidden',
        text: expect.stringMatching(
          new RegExp(
            `^claude's settings forbid the hooks Mission follows a session by \\(disableAllHooks in ${settings}\\), so this session is followed by its screen`,
          ),
        ),
      });
      replies['with hooks disabled'] = [{ text: 'Read off the screen all the same.' }];
      expect((await send(session.id, 'with hooks disabled')).body).toMatchObject({
        state: 'idle',
        response: 'Read off the screen all the same.',
      });
      // Its cost is known while it runs all the same: its claude's metrics reach the worker whichever driver follows it.
      const sessionNow = async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
      await waitUntil(async () => (await sessionNow()).costUsd !== null, 30_000, "the screen-driven session's running cost");
      const onScreen = await sessionNow();
      expect(onScreen.state).toBe('idle');
      expect(onScreen.costUsd).toBeGreaterThan(0);
      expect(onScreen.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
      // Mission changed nothing of the user's settings.
      expect(JSON.parse(fs.readFileSync(settings, 'utf8')).disableAllHooks).toBe(true);
      await call('POST', `/v1/sessions/${session.id}/kill`);
      await waitUntil(async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'exited', 15_000, 'exited');
      // Hooks allowed again, the resumed session is followed by them again: the driver it asked for, not its fallback.
      const { disableAllHooks: _, ...allowed } = JSON.parse(fs.readFileSync(settings, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(settings, JSON.stringify(allowed));
      expect((await call('POST', `/v1/sessions/${session.id}/resume`)).status).toBe(200);
      await waitUntil(async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'idle', 30_000, 'idle');
      expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body.driver).toBe('hooks');
      replies['with hooks allowed again'] = [{ text: 'Heard by the Stop hook.' }];
      expect((await send(session.id, 'with hooks allowed again')).body).toMatchObject({
        state: 'idle',
        response: 'Heard by the Stop hook.',
      });
      // The resumed claude counts from zero: what it costs is added to what the screen-driven one had.
      await waitUntil(async () => (await sessionNow()).costUsd! > onScreen.costUsd!, 30_000, "the resumed claude's cost added");
      await call('POST', `/v1/sessions/${session.id}/kill`);
    } finally {
      await claude.remove();
    }
  });

  it('the screen driver still works for a CLI run without hooks, and says so on the session; a screen a command opens blocks it', async () => {
    replies['plain screen'] = [{ text: 'Read off the screen.' }];
    const session = await spawn({ driver: 'screen' });
    expect(session.driver).toBe('screen');
    expect((await send(session.id, 'plain screen')).body).toMatchObject({ state: 'idle', response: 'Read off the screen.' });
    // A screen of the CLI's own in place of its prompt blocks it here too: nothing is typed into it, Esc closes it.
    expect((await send(session.id, '/help')).body).toMatchObject({
      state: 'blocked',
      response: expect.stringMatching(/^Help {2}General\b/),
    });
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body).toMatchObject({
      state: 'blocked',
      blocking: { kind: 'command_screen', options: [] },
    });
    const refused = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/send`, { text: 'typed over the help' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/^the session shows a command_screen dialog \("Help .*"\): close it first/);
    expect((await call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`)).body).toMatchObject({ state: 'idle' });
    await waitUntil(
      async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.blocking === null,
      10_000,
      'the row to show no dialog',
    );
    replies['after the help'] = [{ text: 'Past the help.' }];
    expect((await send(session.id, 'after the help')).body).toMatchObject({ state: 'idle', response: 'Past the help.' });
    expect((await screenOf(session.id)).lines.join('\n')).not.toContain('typed over the help');
    // A no with a reason: the CLI's dialog has no field for it, so the reason is typed for Claude once it is back at its prompt.
    replies['touch it off the screen'] = [
      { text: 'Touching.', toolUses: [{ name: 'Bash', input: { command: 'touch screen.txt', description: 'Touch' } }] },
    ];
    const reason = 'Mission denied this (token:test-admin): leave the screen alone';
    replies[reason] = [{ text: 'Leaving it alone.' }];
    expect((await send(session.id, 'touch it off the screen')).body).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Bash' },
    });
    const denied = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, {
      choice: 'no',
      reason: 'leave the screen alone',
    });
    expect(denied.body).toMatchObject({ state: 'idle', response: 'Leaving it alone.' });
    expect(fs.existsSync(path.join(bed.workdir, 'screen.txt'))).toBe(false);
    // Typed after the refused tool use, it reaches Claude beside that tool's result, in the same message.
    expect(bed.stub.requests.some((request) => request.lastUserText.endsWith(`\n${reason}`))).toBe(true);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  // A person attached switches the tab of /help's screen (→): the dialog that blocks the session is another, and the
  // row, the state events and a refused send name the one showing, not the first.
  it.each(['hooks', 'screen'] as const)('a dialog that replaces the one blocking the session is told again (%s driver)', async (driver) => {
    const session = await spawn({ driver });
    expect((await send(session.id, '/help')).body).toMatchObject({
      state: 'blocked',
      response: expect.stringMatching(/^Help {2}General\b/),
    });
    const row = async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
    const first = (await row()).blocking!;
    const socket = new WebSocket(`${bed.system.url.replace('http', 'ws')}/v1/sessions/${session.id}/attach`, { headers: bed.system.auth });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'input', data: '\x1b[C' }));
    await waitUntil(async () => (await row()).blocking?.text !== first.text, 15_000, 'the row to show the next tab');
    socket.close();
    const shown = (await row()).blocking!;
    expect(shown).toMatchObject({ kind: 'command_screen' });
    // The screen shows the tab the row names once drawn whole: a stress run's SIGCONT has the CLI clear its screen and
    // draw it again, and one read caught it blank (its row, rightly, still named the tab).
    const tabLine = shown.text.split('\n')[1]!;
    await waitUntil(
      async () => (await screenOf(session.id)).lines.join('\n').includes(tabLine),
      15_000,
      'the screen to show the tab the row names',
    );
    const blockedStates = (await events(session.id)).filter((e) => e.type === 'state' && e.payload.state === 'blocked');
    expect(blockedStates.map((e) => (e.payload as { blocking?: { text: string } }).blocking?.text)).toEqual([first.text, shown.text]);
    const refused = await call<{ error: { message: string } }>('POST', `/v1/sessions/${session.id}/send`, { text: 'typed over the help' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(shown.text.split('\n')[0]!.slice(0, 20));
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });
});
