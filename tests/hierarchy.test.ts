import fs from 'node:fs';
import path from 'node:path';
import type { MissionEvent, Session, SessionTurn, Task } from '@mission/contracts';
import { mintAgentToken, tables } from '@mission/store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { processesIn, waitUntil } from './support/processes.ts';
import type { StubReply, StubRequest } from './support/stubAnthropic.ts';

const MANAGER_PROMPT = 'MANAGER: ask a specialist what six times seven is';
const SPECIALIST_PROMPT = 'SPECIALIST: what is six times seven?';
const KILL_PROMPT = 'MANAGER: end session';
const SPECIALIST_ANSWER = 'Forty-two, worked out without help.';

/**
 * A manager agent runs a specialist through Mission's MCP server in its own CLI: the real claude CLI in
 * PTYs on the worker, against the stub API, which plays both agents.
 */
describe('agent hierarchies (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  const dirs: Record<string, string> = {};
  /** The tool results each conversation sent back to the stub, by the tool it had called. */
  const toolResults: { conversation: string; tool: string; content: string; isError: boolean }[] = [];

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    await bed.system.core.roles.syncFromFile(new URL('../deploy/permissions.yaml', import.meta.url).pathname);
    for (const role of ['manager', 'specialist']) {
      dirs[role] = fs.mkdtempSync(path.join(bed.workdir, `${role}-`));
      trust(dirs[role]);
      await bed.system.core.slots.put(role, { role, cwd: dirs[role], env: bed.claude.env });
    }
    bed.stub.respond(playBothAgents);
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** Claude Code asks nothing in these folders (as the bed's own workdir). */
  function trust(dir: string): void {
    const file = path.join(bed.claude.home, '.claude.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.projects[fs.realpathSync(dir)] = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] };
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
  }

  /** The manager spawns a specialist and asks it; the specialist tries to spawn one of its own. */
  function playBothAgents(request: StubRequest): StubReply {
    if (request.tools.length === 0) return { text: 'side request' };
    const conversation = JSON.stringify(request.body.messages);
    const called = (request.body.messages as { role: string; content: unknown }[])
      .filter((m) => m.role === 'assistant' && Array.isArray(m.content))
      .flatMap((m) => (m.content as { type: string; name?: string }[]).filter((b) => b.type === 'tool_use').map((b) => b.name!));
    const lastCalled = called.at(-1);
    for (const result of request.toolResults) {
      toolResults.push({
        conversation: conversation.includes(SPECIALIST_PROMPT) && !conversation.includes(MANAGER_PROMPT) ? 'specialist' : 'manager',
        tool: lastCalled ?? '',
        ...result,
      });
    }
    const result = request.toolResults[0]?.content ?? '';
    if (request.lastUserText.startsWith(KILL_PROMPT)) {
      return {
        toolUses: [{ name: 'mcp__mission__mission_pty_kill', input: { session: request.lastUserText.slice(KILL_PROMPT.length).trim() } }],
      };
    }
    if (conversation.includes(MANAGER_PROMPT)) {
      if (lastCalled === undefined) return { toolUses: [{ name: 'mcp__mission__mission_pty_spawn', input: { slot: 'specialist' } }] };
      if (lastCalled.endsWith('mission_pty_spawn')) {
        const spawned = JSON.parse(result) as Session;
        return { toolUses: [{ name: 'mcp__mission__mission_pty_send', input: { session: spawned.id, text: SPECIALIST_PROMPT } }] };
      }
      if (lastCalled.endsWith('mission_pty_send')) return { text: `The specialist says: ${(JSON.parse(result) as SessionTurn).response}` };
      return { text: `Done: ${result}` };
    }
    if (conversation.includes(SPECIALIST_PROMPT)) {
      if (lastCalled === undefined) return { toolUses: [{ name: 'mcp__mission__mission_pty_spawn', input: { slot: 'specialist' } }] };
      return { text: SPECIALIST_ANSWER };
    }
    return { text: 'OK' };
  }

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);

  async function spawn(slot: string): Promise<Session> {
    const res = await call<Session>('POST', '/v1/sessions', { slot });
    expect(res.status).toBe(201);
    return res.body;
  }

  let manager: Session;
  let specialist: Session;

  it('a manager spawns a specialist through its MCP server, and the specialist answers', async () => {
    manager = await spawn('manager');
    expect(manager.parentId).toBeNull();
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${manager.id}/send`, { text: MANAGER_PROMPT, timeoutMs: 120_000 });
    expect(turn.status).toBe(200);
    expect(turn.body.state).toBe('idle');
    expect(turn.body.response).toContain(`The specialist says: ${SPECIALIST_ANSWER}`);

    const children = await call<{ sessions: Session[] }>('GET', `/v1/sessions?parent=${manager.id}`);
    expect(children.body.sessions).toHaveLength(1);
    specialist = children.body.sessions[0]!;
    expect(specialist).toMatchObject({ slot: 'specialist', parentId: manager.id, temporary: false, state: 'idle' });
    expect((await call<{ sessions: Session[] }>('GET', `/v1/sessions?parent=${specialist.id}`)).body.sessions).toEqual([]);
    const managerCalls = toolResults.filter((r) => r.conversation === 'manager').map((r) => [r.tool, r.isError]);
    expect(managerCalls).toEqual([
      ['mcp__mission__mission_pty_spawn', false],
      ['mcp__mission__mission_pty_send', false],
    ]);
  }, 180_000);

  it("the specialist's own spawn is refused by its role, in the tool result it gets", async () => {
    const refused = toolResults.filter((r) => r.conversation === 'specialist');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ tool: 'mcp__mission__mission_pty_spawn', isError: true });
    expect(refused[0]!.content).toContain("forbidden: role 'specialist' does not allow mission_pty_spawn");
    // Nothing was spawned for it.
    expect((await call<{ sessions: Session[] }>('GET', '/v1/sessions?slot=specialist')).body.sessions).toHaveLength(1);
  });

  it('mission_sessions {tree: true} nests the specialist under its manager', async () => {
    const client = new Client({ name: 'hierarchy-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }));
    try {
      const result = (await client.callTool({ name: 'mission_sessions', arguments: { tree: true } })) as CallToolResult;
      const { tree } = JSON.parse((result.content[0] as { text: string }).text) as { tree: (Session & { children: Session[] })[] };
      const root = tree.find((node) => node.id === manager.id)!;
      expect(root.children.map((child) => child.id)).toEqual([specialist.id]);
      expect(tree.some((node) => node.id === specialist.id)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('a manager cannot end a session it did not start', async () => {
    const stranger = await spawn('default');
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${manager.id}/send`, {
      text: `${KILL_PROMPT} ${stranger.id}`,
      timeoutMs: 60_000,
    });
    expect(turn.body.state).toBe('idle');
    const kill = toolResults.at(-1)!;
    expect(kill).toMatchObject({ conversation: 'manager', tool: 'mcp__mission__mission_pty_kill', isError: true });
    expect(kill.content).toContain(`forbidden: session ${stranger.id} is not one of the sessions ${manager.id} started`);
    expect((await call<Session>('GET', `/v1/sessions/${stranger.id}`)).body.state).not.toMatch(/exited|lost/);
    await call('POST', `/v1/sessions/${stranger.id}/kill`);
  }, 90_000);

  it("a task an agent submits has the agent's session as its parent", async () => {
    const token = await mintAgentToken(
      bed.system.core.database.db,
      { kind: 'session', id: manager.id },
      { role: 'manager', tools: ['mission_submit'] },
    );
    const client = new Client({ name: 'hierarchy-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const submitted = (await client.callTool({
        name: 'mission_submit',
        arguments: { slot: 'specialist', prompt: 'a task from the manager' },
      })) as CallToolResult;
      const task = JSON.parse((submitted.content[0] as { text: string }).text) as Task;
      expect(task.parentId).toBe(manager.id);
      const refused = (await client.callTool({ name: 'mission_tasks', arguments: {} })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect((refused.content[0] as { text: string }).text).toContain("forbidden: role 'manager' does not allow mission_tasks");
      await waitUntil(
        async () => (await call<Task>('GET', `/v1/tasks/${task.id}`)).body.status === 'succeeded',
        30_000,
        'the task to succeed',
      );
    } finally {
      await client.close();
    }
  }, 60_000);

  it("an agent reads only its own sessions and the tasks they started; Mission's resources are for operators", async () => {
    const stranger = await spawn('default');
    const operatorTask = (await call<Task>('POST', '/v1/tasks', { slot: 'specialist', prompt: 'an operator task' })).body;
    const token = await mintAgentToken(
      bed.system.core.database.db,
      { kind: 'session', id: manager.id },
      { role: 'manager', tools: ['mission_sessions', 'mission_status', 'mission_logs', 'mission_submit'] },
    );
    const client = new Client({ name: 'hierarchy-reader', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const text = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;
    try {
      const listed = JSON.parse(text(await client.callTool({ name: 'mission_sessions', arguments: {} }))) as { sessions: Session[] };
      expect(listed.sessions.map((session) => session.id).sort()).toEqual([manager.id, specialist.id].sort());
      const { tree } = JSON.parse(text(await client.callTool({ name: 'mission_sessions', arguments: { tree: true } }))) as {
        tree: (Session & { children: Session[] })[];
      };
      expect(tree.map((node) => [node.id, node.children.map((child) => child.id)])).toEqual([[manager.id, [specialist.id]]]);

      expect(JSON.parse(text(await client.callTool({ name: 'mission_status', arguments: { id: specialist.id } })))).toMatchObject({
        id: specialist.id,
      });
      const strangerStatus = (await client.callTool({ name: 'mission_status', arguments: { id: stranger.id } })) as CallToolResult;
      expect(strangerStatus.isError).toBe(true);
      expect(text(strangerStatus)).toContain(
        `forbidden: session ${stranger.id} is neither ${manager.id} nor one of the sessions it started`,
      );

      const own = JSON.parse(
        text(await client.callTool({ name: 'mission_submit', arguments: { slot: 'specialist', prompt: 'a task the manager may read' } })),
      ) as Task;
      expect(JSON.parse(text(await client.callTool({ name: 'mission_status', arguments: { id: own.id } })))).toMatchObject({
        id: own.id,
        parentId: manager.id,
      });
      const operatorStatus = (await client.callTool({ name: 'mission_status', arguments: { id: operatorTask.id } })) as CallToolResult;
      expect(operatorStatus.isError).toBe(true);
      expect(text(operatorStatus)).toContain(`forbidden: task ${operatorTask.id} was not started by session ${manager.id}`);
      // What they did, under the same rule: its own task's and child session's events, nobody else's.
      const ownLogs = JSON.parse(text(await client.callTool({ name: 'mission_logs', arguments: { id: own.id } }))) as {
        events: MissionEvent[];
      };
      expect(ownLogs.events[0]).toMatchObject({ seq: 1, type: 'state', payload: { state: 'queued' } });
      const childLogs = JSON.parse(text(await client.callTool({ name: 'mission_logs', arguments: { id: specialist.id, last: 1 } }))) as {
        events: MissionEvent[];
      };
      expect(childLogs.events).toEqual((await bed.system.core.events.list(specialist.id)).slice(-1));
      for (const [id, refusal] of [
        [operatorTask.id, `forbidden: task ${operatorTask.id} was not started by session ${manager.id}`],
        [stranger.id, `forbidden: session ${stranger.id} is neither ${manager.id} nor one of the sessions it started`],
      ]) {
        const refused = (await client.callTool({ name: 'mission_logs', arguments: { id } })) as CallToolResult;
        expect(refused.isError).toBe(true);
        expect(text(refused)).toContain(refusal);
      }

      await expect(client.readResource({ uri: 'mission://sessions' })).rejects.toThrow(/resources are for operators/);
      for (const id of [own.id, operatorTask.id])
        await waitUntil(async () => (await call<Task>('GET', `/v1/tasks/${id}`)).body.status === 'succeeded', 30_000, 'the tasks to end');
    } finally {
      await client.close();
      await call('POST', `/v1/sessions/${stranger.id}/kill`);
    }
  }, 90_000);

  it('cascade kill ends the manager and its specialist, leaves no claude process, and revokes their tokens', async () => {
    expect(processesIn(dirs.manager!).length).toBeGreaterThan(0);
    expect(processesIn(dirs.specialist!).length).toBeGreaterThan(0);
    // The manager's token is in its environment, not in arguments the process table shows every user.
    const managerArgs = processesIn(dirs.manager!)
      .map((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
      .join('\n');
    expect(managerArgs).toContain('Bearer ${MISSION_CHILD_TOKEN}');
    expect(managerArgs).not.toContain('msn.');
    // A token like the one in the manager's MCP config: it opens /mcp only, and dies with the session.
    const token = await mintAgentToken(
      bed.system.core.database.db,
      { kind: 'session', id: manager.id },
      { role: 'manager', tools: ['mission_sessions'] },
    );
    const asAgent = (route: string) => fetch(bed.system.url + route, { headers: { authorization: `Bearer ${token}` } });
    expect((await asAgent('/v1/sessions')).status).toBe(403);
    const killed = await call<Session>('POST', `/v1/sessions/${manager.id}/kill?cascade=true`);
    expect(killed.status).toBe(200);
    expect(killed.body.state).toBe('exited');
    expect((await call<Session>('GET', `/v1/sessions/${specialist.id}`)).body.state).toBe('exited');
    await waitUntil(
      () => processesIn(dirs.manager!).length === 0 && processesIn(dirs.specialist!).length === 0,
      10_000,
      'no process left in the slots',
    );
    expect((await asAgent('/v1/sessions')).status).toBe(401);

    const tokens = await bed.system.core.database.db
      .select()
      .from(tables.apiTokens)
      .where(inArray(tables.apiTokens.sessionId, [manager.id, specialist.id]));
    expect(tokens.map((t) => [t.sessionId, t.tools, t.scopes, t.revokedAt !== null]).sort()).toEqual(
      [
        [
          manager.id,
          ['mission_pty_spawn', 'mission_pty_send', 'mission_pty_kill', 'mission_sessions', 'mission_pty_screen'],
          ['sessions:write', 'sessions:read'],
          true,
        ],
        [manager.id, ['mission_sessions'], ['sessions:read'], true],
        [manager.id, ['mission_submit'], ['tasks:write'], true],
        [
          manager.id,
          ['mission_sessions', 'mission_status', 'mission_logs', 'mission_submit'],
          ['sessions:read', 'tasks:read', 'tasks:write'],
          true,
        ],
        [specialist.id, [], [], true],
      ].sort(),
    );
  }, 60_000);

  it('a role gives only the Mission tools agents may have', async () => {
    const res = await call<{ error: { code: string; message: string } }>('PUT', '/v1/roles/boss', {
      allow: [],
      missionTools: ['mission_pty_spawn', 'mission_approve'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("'mission_approve' is not a Mission tool a role can give");
    const role = await call<{ missionTools: string[] }>('GET', '/v1/roles/manager');
    expect(role.body.missionTools).toEqual([
      'mission_pty_spawn',
      'mission_pty_send',
      'mission_pty_kill',
      'mission_sessions',
      'mission_pty_screen',
    ]);
  });

  it('mission_run answers one prompt in a temporary session, then ends it and keeps its events', async () => {
    const run = await call<{ session: Session; response: string }>('POST', '/v1/run', {
      slot: 'specialist',
      prompt: 'What is the answer?',
    });
    expect(run.status).toBe(200);
    expect(run.body.response).toBe('OK');
    expect(run.body.session).toMatchObject({ slot: 'specialist', temporary: true, state: 'exited', parentId: null });
    const events = await bed.system.core.events.list(run.body.session.id);
    expect(events.some((e) => e.type === 'assistant_message' && e.payload.text === 'OK')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'state', payload: { state: 'exited' } });
    await waitUntil(() => processesIn(dirs.specialist!).length === 0, 10_000, 'the temporary session to leave no process');
  }, 90_000);

  it('a headless task on a manager slot runs a specialist through its own MCP server; its token and its sessions end with the task', async () => {
    const before = toolResults.length;
    const submitted = await call<Task>('POST', '/v1/tasks', { slot: 'manager', prompt: MANAGER_PROMPT });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    await waitUntil(
      async () => !['queued', 'running'].includes((await call<Task>('GET', `/v1/tasks/${id}`)).body.status),
      120_000,
      'the manager task to end',
    );
    expect((await call<Task>('GET', `/v1/tasks/${id}`)).body).toMatchObject({
      status: 'succeeded',
      result: `The specialist says: ${SPECIALIST_ANSWER}`,
    });
    expect(
      toolResults
        .slice(before)
        .filter((r) => r.conversation === 'manager')
        .map((r) => [r.tool, r.isError]),
    ).toEqual([
      ['mcp__mission__mission_pty_spawn', false],
      ['mcp__mission__mission_pty_send', false],
    ]);

    const started = (await call<{ sessions: Session[] }>('GET', `/v1/sessions?parent=${id}`)).body.sessions;
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ slot: 'specialist', parentId: id });
    const tokens = await bed.system.core.database.db.select().from(tables.apiTokens).where(eq(tables.apiTokens.taskId, id));
    expect(tokens.map((t) => [t.name, t.tools, t.scopes, t.revokedAt !== null])).toEqual([
      [
        `task:${id}`,
        ['mission_pty_spawn', 'mission_pty_send', 'mission_pty_kill', 'mission_sessions', 'mission_pty_screen'],
        ['sessions:write', 'sessions:read'],
        true,
      ],
    ]);

    // Nobody can steer what the task started once it has ended: its worker ends it within a heartbeat.
    // The row changes first, then the event is stored: wait for the event.
    const lastState = async () =>
      (await bed.system.core.events.list(started[0]!.id)).filter((e) => e.type === 'state').at(-1)?.payload as
        | { state: string; reason?: string }
        | undefined;
    await waitUntil(
      async () => (await lastState())?.reason?.startsWith('the task that started it') === true,
      20_000,
      "the task's session to end",
    );
    expect(await lastState()).toMatchObject({ state: 'exited', reason: `the task that started it (${id}) ended (succeeded)` });
    expect((await call<Session>('GET', `/v1/sessions/${started[0]!.id}`)).body.state).toBe('exited');
    const resumed = await call<{ error: { message: string } }>('POST', `/v1/sessions/${started[0]!.id}/resume`);
    expect(resumed.status).toBe(409);
    expect(resumed.body.error.message).toBe(
      `session ${started[0]!.id} was started by task ${id}, which has ended (succeeded); sessions a task started end with it`,
    );
    await waitUntil(
      () => processesIn(dirs.specialist!).length === 0 && processesIn(dirs.manager!).length === 0,
      10_000,
      'no process left in the slots',
    );
  }, 150_000);
});
