import fs from 'node:fs';
import path from 'node:path';
import type { Approval, CcOverview, CcSessionList, CcTodo, MissionEvent, Session, SessionTurn, WorkerInfo } from '@mission/contracts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsOf } from './support/ccCounts.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import { WORKING_HINT } from './support/scenarios.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';

/**
 * The MCP tools tests/mcp.test.ts does not call, each called through the SDK's real client with valid
 * arguments and its result checked, on the real claude CLI against the stub API.
 */
describe('MCP tools (the SDK client over HTTP, real claude CLI on the stub API)', () => {
  let bed: ClaudeTestBed;
  let client: Client;

  /** The stub's reply to each prompt (and, for a tool's result, to the tool it ran). */
  let replies: Record<string, StubReply[]>;
  const reply = (prompt: string, ...answers: StubReply[]) => (replies[prompt] = answers);

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
    // Claude Code 2.1.331 on the stub offers its task tools only when they are allowed by name.
    await bed.system.core.slots.put('planner', {
      cwd: bed.workdir,
      env: bed.claude.env,
      args: ['--allowedTools', 'TaskCreate', 'TaskUpdate'],
    });
    await bed.system.core.roles.put('careful', { confirm: ['Edit'] }, 'test');
    await bed.system.core.slots.put('careful', { role: 'careful', cwd: bed.workdir, env: bed.claude.env });
    client = new Client({ name: 'mission-tools-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }));
  });
  afterAll(async () => {
    await client?.close();
    await bed?.close();
  });

  const call = async <T>(name: string, args: Record<string, unknown> = {}): Promise<T> => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    const block = result.content[0];
    const text = block?.type === 'text' ? block.text : '';
    expect(result.isError, `${name}: ${text}`).toBeFalsy();
    return JSON.parse(text) as T;
  };

  it('mission_workers: the registry with the worker, its state, capacity and slots', async () => {
    const { workers } = await call<{ workers: WorkerInfo[] }>('mission_workers');
    const worker = workers.find((w) => w.id === bed.system.worker!.id);
    expect(worker).toMatchObject({
      id: bed.system.worker!.id,
      state: 'active',
      capacity: bed.system.config.workerConcurrency,
      maxSessions: bed.system.config.maxSessions,
    });
    expect((await call<{ workers: WorkerInfo[] }>('mission_workers', { state: 'lost' })).workers.map((w) => w.id)).not.toContain(
      worker!.id,
    );
  });

  it('mission_run: one prompt in a temporary session, ended after the answer', async () => {
    reply('run this once', { text: 'Ran it once.' });
    const run = await call<{ session: Session; response: string }>('mission_run', { slot: 'default', prompt: 'run this once' });
    expect(run.response).toBe('Ran it once.');
    expect(run.session.id).toMatch(/^ses_/);
    const session = await call<Session>('mission_status', { id: run.session.id });
    expect(session.state).toBe('exited');
  });

  it("mission_logs: a task's or a session's last events, or those after a seq, read on with nextAfter; an unknown id is not found", async () => {
    reply('log what you do', { text: 'Logged it.' });
    const asked = await client.callTool({ name: 'mission_ask', arguments: { prompt: 'log what you do' } });
    const task = JSON.parse((asked.content as { text: string }[])[1]!.text) as { id: string; status: string };
    expect(task.status).toBe('succeeded');
    const stored = await bed.system.core.events.list(task.id);
    expect(stored.length).toBeGreaterThan(4);
    type Logs = { events: MissionEvent[]; nextAfter: number };
    expect(await call<Logs>('mission_logs', { id: task.id, last: 3 })).toEqual({ events: stored.slice(-3), nextAfter: stored.at(-1)!.seq });
    const first = await call<Logs>('mission_logs', { id: task.id, after: 0, last: 2 });
    expect(first).toEqual({ events: stored.slice(0, 2), nextAfter: 2 });
    expect(await call<Logs>('mission_logs', { id: task.id, after: first.nextAfter })).toEqual({
      events: stored.slice(2),
      nextAfter: stored.at(-1)!.seq,
    });
    // Read to the end: nothing more, and the same seq to read on from.
    expect(await call<Logs>('mission_logs', { id: task.id, after: stored.at(-1)!.seq })).toEqual({
      events: [],
      nextAfter: stored.at(-1)!.seq,
    });
    expect((await call<Logs>('mission_logs', { id: task.id })).events).toEqual(stored);

    const run = await call<{ session: Session }>('mission_run', { slot: 'default', prompt: 'log what you do' });
    const sessionEvents = await bed.system.core.events.list(run.session.id);
    expect((await call<Logs>('mission_logs', { id: run.session.id, last: 1 })).events).toEqual(sessionEvents.slice(-1));

    const missing = (await client.callTool({ name: 'mission_logs', arguments: { id: 'task_nope' } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(JSON.parse((missing.content[0] as { text: string }).text)).toEqual({
      error: { code: 'not_found', message: "task 'task_nope' not found" },
    });
  });

  it("Claude Code's records and a turn in flight: mission_cc_sessions, _tasks, _overview, _in_progress, then mission_pty_interrupt", async () => {
    const spawned = await call<Session>('mission_pty_spawn', { slot: 'planner' });
    reply(
      'plan the tool tests',
      {
        text: 'Planning.',
        toolUses: [{ name: 'TaskCreate', input: { subject: 'Call every tool', description: 'all 26', activeForm: 'Calling every tool' } }],
      },
      { text: 'Planned.' },
    );
    expect(
      await call<SessionTurn>('mission_pty_send', { session: spawned.id, text: 'plan the tool tests', timeoutMs: 60_000 }),
    ).toMatchObject({ state: 'idle', response: 'Planned.' });
    const claudeSessionId = spawned.claudeSessionId!;

    const cwd = fs.realpathSync(bed.workdir);
    const listed = await call<CcSessionList>('mission_cc_sessions', { cwd });
    expect(listed.workers).toEqual([{ workerId: bed.system.worker!.id, ok: true, sessions: expect.any(Number) }]);
    expect(listed.sessions.find((session) => session.id === claudeSessionId)).toMatchObject({
      workerId: bed.system.worker!.id,
      cwd,
      firstPrompt: 'plan the tool tests',
      userMessages: 1,
    });

    const { todos } = await call<{ session: string; todos: CcTodo[] }>('mission_cc_tasks', { session: claudeSessionId });
    expect(todos.map((todo) => [todo.content, todo.status])).toEqual([['Call every tool', 'pending']]);

    // The CLI writes the answer's record a moment after its screen goes idle.
    const ours = async () => (await call<CcSessionList>('mission_cc_sessions', { cwd })).sessions;
    await waitUntil(async () => countsOf(await ours()).inProgress === 0, 15_000, 'the answer to be recorded');
    // Every session of this test ran in this folder on this worker (mission_run's too); only this one keeps tasks.
    expect(countsOf(await ours())).toEqual({
      sessions: listed.sessions.length,
      inProgress: 0,
      todos: { pending: 1, in_progress: 0, completed: 0 },
    });
    const overview = await call<CcOverview>('mission_cc_overview');
    const everything = countsOf((await call<CcSessionList>('mission_cc_sessions', { limit: 1000 })).sessions);
    expect(overview).toMatchObject(everything);
    expect(overview.perWorker).toEqual([{ workerId: bed.system.worker!.id, ...everything }]);

    reply('talk slowly now', { text: Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '), chunks: 60, chunkDelayMs: 500 });
    const turn = client.callTool({
      name: 'mission_pty_send',
      arguments: { session: spawned.id, text: 'talk slowly now', timeoutMs: 60_000 },
    });
    const inFlight = async () =>
      (await call<CcSessionList>('mission_cc_in_progress')).sessions.find((session) => session.id === claudeSessionId);
    await waitUntil(async () => (await inFlight()) !== undefined, 30_000, 'the session to be in progress');
    expect(await inFlight()).toMatchObject({ inProgress: true, userMessages: 2 });
    const screen = async () => {
      const result = (await client.callTool({ name: 'mission_pty_screen', arguments: { session: spawned.id } })) as CallToolResult;
      return result.content[0]?.type === 'text' ? result.content[0].text : '';
    };
    const working = async () => {
      const shown = await screen();
      return shown.includes(WORKING_HINT) && shown.includes('word2');
    };
    await waitUntil(working, 30_000, 'Claude to be working on its answer');

    const interrupted = await call<SessionTurn>('mission_pty_interrupt', { session: spawned.id });
    expect(interrupted.state).toBe('idle');
    expect(interrupted.response).toMatch(/^word0 word1 word2/);
    expect(interrupted.response).not.toContain('word59');
    await turn;
    expect((await call<Session>('mission_status', { id: spawned.id })).state).toBe('idle');
    await call('mission_pty_kill', { session: spawned.id });
  });

  it('mission_pty_resume: a killed session starts again with its conversation, same id', async () => {
    const spawned = await call<Session>('mission_pty_spawn', { slot: 'default' });
    reply('remember the word parsnip', { text: 'Remembered.' });
    expect(await call<SessionTurn>('mission_pty_send', { session: spawned.id, text: 'remember the word parsnip' })).toMatchObject({
      state: 'idle',
      response: 'Remembered.',
    });
    expect((await call<Session>('mission_pty_kill', { session: spawned.id })).state).toBe('exited');

    const resumed = await call<Session>('mission_pty_resume', { session: spawned.id });
    expect(resumed).toMatchObject({ id: spawned.id, claudeSessionId: spawned.claudeSessionId, ownerWorker: bed.system.worker!.id });
    expect(['starting', 'idle']).toContain(resumed.state);

    reply('which word was it?', { text: 'Parsnip.' });
    expect(await call<SessionTurn>('mission_pty_send', { session: spawned.id, text: 'which word was it?' })).toMatchObject({
      state: 'idle',
      response: 'Parsnip.',
    });
    const asked = bed.stub.requests.findLast((request) => request.lastUserText === 'which word was it?');
    expect(JSON.stringify(asked?.body.messages)).toContain('remember the word parsnip');
    await call('mission_pty_kill', { session: spawned.id });
  });

  it('mission_approvals: the pending approval a confirm rule holds, with its tool, input and link', async () => {
    const file = path.join(bed.workdir, 'careful.txt');
    reply(
      'write carefully',
      { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'careful\n' } }] },
      { text: 'Wrote it carefully.' },
    );
    const spawned = await call<Session>('mission_pty_spawn', { slot: 'careful' });
    const held = await call<SessionTurn>('mission_pty_send', { session: spawned.id, text: 'write carefully' });
    expect(held).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Write' },
      approval: { id: expect.stringMatching(/^appr_/) },
    });

    const { approvals } = await call<{ approvals: (Approval & { url: string })[] }>('mission_approvals', { status: 'pending' });
    expect(approvals.find((approval) => approval.id === held.approval!.id)).toMatchObject({
      status: 'pending',
      tool: 'Write',
      rule: 'Edit',
      role: 'careful',
      slot: 'careful',
      owner: { kind: 'session', id: spawned.id },
      // The CLI's own tool input, exactly.
      input: { file_path: file, content: 'careful\n' },
      url: expect.stringContaining('/approvals/'),
    });
    expect(fs.existsSync(file)).toBe(false);

    expect(await call<Approval>('mission_approve', { id: held.approval!.id, decision: 'approve' })).toMatchObject({ status: 'approved' });
    const { approvals: decided } = await call<{ approvals: Approval[] }>('mission_approvals', { status: 'approved' });
    expect(decided.map((approval) => approval.id)).toContain(held.approval!.id);
    await call('mission_pty_kill', { session: spawned.id });
  });
});
