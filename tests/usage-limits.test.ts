import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CONTINUE_AFTER_LIMIT_PROMPT,
  LIMIT_PAUSE_WITHOUT_RESET_MS,
  type MissionEvent,
  type Session,
  type SessionTurn,
  type Slot,
  type Task,
} from '@mission/contracts';
import { withClaudeConfig, withClaudeSettings } from '@mission/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_BIN, type ClaudeHome, lastCostState, prepareClaudeHome } from './support/claudeEnv.ts';
import { usageLimitError } from './support/firstRunScenarios.ts';
import { waitUntil } from './support/processes.ts';
import { readSse } from './support/sse.ts';
import { startStubAnthropic, type StubAnthropic, type StubReply } from './support/stubAnthropic.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const json = { 'content-type': 'application/json' };

describe('usage limits: real claude CLI (a claude.ai subscriber) against the stub returning the API limit error', () => {
  let stub: StubAnthropic;
  let claude: ClaudeHome;
  let workdir: string;
  let system: TestSystem;
  /** Replies to each prompt's requests in order, each made when its request comes (a limit's reset counts from then). */
  const replies: Record<string, (() => StubReply)[]> = {};
  /** When each prompt's limit error was handed out. */
  const limitedAt: Record<string, number> = {};
  const limitFor = (prompt: string, resetsInSeconds: number) => () => {
    limitedAt[prompt] = Date.now();
    return usageLimitError(resetsInSeconds);
  };

  beforeAll(async () => {
    stub = await startStubAnthropic();
    // A conversation is named by its first prompt: a run that goes on in its Claude session keeps it.
    stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      return Object.entries(replies)
        .find(([prompt]) => request.conversation.includes(prompt))?.[1]
        .shift()?.();
    });
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-work-'));
    const trustedDirs = [fs.realpathSync(workdir)];
    // A subscriber (OAuth): the limit the API answers with carries its reset, which the CLI reports.
    claude = prepareClaudeHome({
      apiUrl: stub.url,
      trustedDirs,
      auth: 'oauth',
      files: { config: withClaudeConfig({}, { trustedDirs }), settings: withClaudeSettings({}) },
    });
    system = await startTestSystem({
      env: { MISSION_CLAUDE_BIN: CLAUDE_BIN, MISSION_HEARTBEAT_MS: '500' },
      slots: { default: { cwd: workdir, env: { ...claude.env, CLAUDE_CODE_MAX_RETRIES: '0' } } },
    });
  });
  afterAll(async () => {
    await system?.close();
    await stub?.close();
    await claude?.remove();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  /** The `mission` CLI (built) against this system with its admin token. */
  const mission = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, MISSION_URL: system.url, MISSION_TOKEN: system.auth.authorization.replace(/^Bearer /, '') };
      execFile(
        process.execPath,
        [path.join(import.meta.dirname, '..', 'bin', 'mission.mjs'), ...args],
        { env, timeout: 30_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  const submit = async (prompt: string, slot = 'default') => {
    const res = await system.fetch('/v1/tasks', { method: 'POST', headers: json, body: JSON.stringify({ prompt, slot }) });
    expect(res.status).toBe(202);
    return (await res.json()) as Task;
  };
  const getTask = async (id: string) => (await (await system.fetch(`/v1/tasks/${id}`)).json()) as Task;
  const eventsOf = async (id: string) =>
    (await readSse(await system.fetch(`/v1/tasks/${id}/events?follow=false`)))
      .filter((m) => m.event !== 'end')
      .map((m) => JSON.parse(m.data) as MissionEvent);
  const slot = async (id = 'default') => (await (await system.fetch(`/v1/slots/${id}`)).json()) as Slot;
  const waitForEvent = async (id: string, type: string, timeoutMs = 30_000) => {
    let found: MissionEvent | undefined;
    await waitUntil(
      async () => Boolean((found = (await eventsOf(id)).find((e) => e.type === type))),
      timeoutMs,
      `a ${type} event of ${id}`,
    );
    return found!;
  };
  const waitForStatus = async (id: string, status: string, timeoutMs = 30_000) => {
    await waitUntil(async () => (await getTask(id)).status === status, timeoutMs, `task ${id} to be ${status}`);
    return getTask(id);
  };
  const shape = (events: MissionEvent[]) => events.map((e) => (e.type === 'state' ? `state:${e.payload.state}` : e.type));

  it('pauses the slot until the reset the CLI reported, the task waits without spending its attempt, and both go on by themselves then', async () => {
    const resetsIn = 4;
    replies['limited then fine'] = [limitFor('limited then fine', resetsIn), () => ({ text: 'Done after the reset.' })];
    const task = await submit('limited then fine');

    const paused = await waitForEvent(task.id, 'slot_paused');
    expect(paused.payload).toMatchObject({ slot: 'default', reason: expect.stringMatching(/^You've hit your 5-hour limit · resets /) });
    const until = Date.parse((paused.payload as { until: string }).until);
    // The reset the API gave (whole seconds since the epoch), `resetsIn` seconds on from the refused request.
    const refusedAt = limitedAt['limited then fine']!;
    expect(until).toBeGreaterThanOrEqual(refusedAt + resetsIn * 1000 - 1000);
    expect(until).toBeLessThanOrEqual(refusedAt + resetsIn * 1000 + 1000);
    expect((await slot()).pause).toMatchObject({ until: new Date(until).toISOString(), by: { kind: 'task', id: task.id } });
    // The pause is stored (with its event), then the task is queued again: two writes, the second may land later.
    await waitForStatus(task.id, 'queued');
    expect(await getTask(task.id)).toMatchObject({ status: 'queued', attempts: 0 });

    const done = await waitForStatus(task.id, 'succeeded', 30_000);
    expect(done).toMatchObject({ result: 'Done after the reset.', attempts: 1, error: null });
    const started = Date.parse(done.startedAt!);
    expect(started).toBeGreaterThanOrEqual(until);
    const resumed = await waitForEvent(task.id, 'slot_resumed');
    expect(resumed.payload).toEqual({ slot: 'default', by: 'reset' });
    expect((await slot()).pause).toBeNull();

    const events = await eventsOf(task.id);
    const limitText = events.find((e) => e.type === 'assistant_message')!;
    expect(limitText.payload).toEqual({ text: (paused.payload as { reason: string }).reason });
    // No `result` for the limited run: the task did not end there; one `queued` after it, saying why and until when.
    expect(shape(events).filter((t) => t !== 'slot_resumed')).toEqual([
      'state:queued',
      'state:running',
      'assistant_message',
      'slot_paused',
      'state:queued',
      'state:running',
      'assistant_message',
      'result',
      'state:succeeded',
    ]);
    const requeued = events.filter((e) => e.type === 'state' && e.payload.state === 'queued')[1]!;
    expect((requeued.payload as { reason: string }).reason).toMatch(
      /^usage limit \(You've hit your 5-hour limit.*\): waits for slot 'default' to resume at .*; then it runs again$/,
    );
    // The prompt ran twice from the start (the limit refused its first request: nothing was done), nothing more.
    expect(stub.requests.filter((r) => r.tools.length > 0 && r.lastUserText === 'limited then fine')).toHaveLength(2);
  });

  it("holds the slot's other tasks until an admin resumes it early (mission slots shows the pause, --resume ends it); then they start at once", async () => {
    replies['limited for hours'] = [limitFor('limited for hours', 2 * 3600), () => ({ text: 'Resumed early.' })];
    replies['queued behind the limit'] = [() => ({ text: 'Also done.' })];
    const first = await submit('limited for hours');
    const paused = await waitForEvent(first.id, 'slot_paused');
    expect(Date.parse((paused.payload as { until: string }).until)).toBeGreaterThan(Date.now() + 3600_000);
    const second = await submit('queued behind the limit');
    // The worker offered the second task and left it waiting: it is queued, never ran.
    await waitUntil(
      async () => Boolean(await (await system.core.taskQueue.getJob(second.id))?.isDelayed()),
      10_000,
      'the second task put back to wait',
    );
    expect((await getTask(second.id)).status).toBe('queued');
    expect((await getTask(second.id)).attempts).toBe(0);
    expect(stub.requests.some((r) => r.lastUserText === 'queued behind the limit')).toBe(false);

    // `mission slots` shows the pause; `mission slots --resume` ends it.
    const listed = await mission(['slots']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^default +default +— +paused until ${(paused.payload as { until: string }).until.replace(/\./g, '\\.')} \\(You've hit your 5-hour limit`,
        'm',
      ),
    );
    const resumed = await mission(['slots', '--resume', 'default', '--json']);
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as Slot).pause).toBeNull();
    const [a, b] = await Promise.all([waitForStatus(first.id, 'succeeded', 20_000), waitForStatus(second.id, 'succeeded', 20_000)]);
    expect(a).toMatchObject({ result: 'Resumed early.', attempts: 1 });
    expect(b).toMatchObject({ result: 'Also done.', attempts: 1 });
    expect((await waitForEvent(first.id, 'slot_resumed')).payload).toEqual({ slot: 'default', by: 'token:test-admin' });
    // Resuming a slot that is not paused changes nothing.
    const again = await system.fetch('/v1/slots/default/resume', { method: 'POST' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as Slot).pause).toBeNull();
  });

  it('a run the limit stopped after it called a tool goes on in its Claude session at the reset: no step runs twice', async () => {
    await system.core.slots.put('bash', {
      cwd: workdir,
      env: { ...claude.env, CLAUDE_CODE_MAX_RETRIES: '0' },
      args: ['--allowedTools', 'Bash(echo:*)'],
    });
    const prompt = 'echo a marker, then get limited';
    replies[prompt] = [
      () => ({
        text: 'Echoing.',
        toolUses: [{ name: 'Bash', input: { command: 'echo mission-limit-marker', description: 'Echo a marker' } }],
      }),
      limitFor(prompt, 3),
      () => ({ text: 'Went on after the reset.' }),
    ];
    const task = await submit(prompt, 'bash');
    const done = await waitForStatus(task.id, 'succeeded', 45_000);
    expect(done).toMatchObject({ result: 'Went on after the reset.', attempts: 1 });

    const events = await eventsOf(task.id);
    expect(events.filter((e) => e.type === 'tool_call')).toHaveLength(1);
    expect(events.find((e) => e.type === 'tool_output')?.payload).toMatchObject({ output: 'mission-limit-marker' });
    const requeued = events.filter((e) => e.type === 'state' && e.payload.state === 'queued')[1]!;
    expect((requeued.payload as { reason: string }).reason).toMatch(
      /waits for slot 'bash' to resume at .*; then it goes on where it stopped$/,
    );
    // The last request went on in the same conversation (the marker's output in it) with claude's continue prompt, once.
    const conversation = stub.conversationRequests(prompt);
    expect(conversation).toHaveLength(3);
    expect(conversation[2]!.lastUserText).toBe(CONTINUE_AFTER_LIMIT_PROMPT);
    expect(JSON.stringify(conversation[2]!.body.messages)).toContain('mission-limit-marker');

    // What it cost: the Claude session's, counted once. The run the limit stopped told its figure as it ended; the
    // resumed claude's result counts the session's (the earlier run's with its own): no figure falls, none counts twice.
    const told = events.flatMap((e) => (e.type === 'usage' ? [e.payload.costUsd] : []));
    expect(told.length).toBeGreaterThan(0);
    expect(told).toEqual([...told].sort((a, b) => a - b));
    const session = lastCostState(claude, done.claudeSessionId!)!;
    expect(session.totalCostUSD).toBeGreaterThan(told[0]!);
    expect(done.costUsd).toBeCloseTo(session.totalCostUSD, 12);
    const inputTokens = Object.values(session.modelUsage).reduce((sum, counters) => sum + (counters.inputTokens ?? 0), 0);
    expect(done.usage).toMatchObject({ input_tokens: inputTokens });
  });
  describe('an interactive session (hooks driver): the CLI asks at the limit, Mission answers and resumes it', () => {
    const sessionEvents = async (id: string) => (await system.core.events.list(id, 0, { limit: 1_000 })) as MissionEvent[];
    const post = async <T>(route: string, body: unknown) => {
      const res = await system.fetch(route, { method: 'POST', headers: json, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as T };
    };
    /** A claude home that signs in with an API key (the stub's): its 429s come without a reset. */
    let apiKeyHome: ClaudeHome;
    beforeAll(() => {
      apiKeyHome = prepareClaudeHome({ apiUrl: stub.url, trustedDirs: [workdir] });
    });
    afterAll(async () => {
      await apiKeyHome?.remove();
    });
    /** A session in a slot of its own (a pause holds a whole slot), whose role lets `echo` run unasked. */
    const startSession = async (slotId: string, home = claude) => {
      await system.core.slots.put(slotId, {
        cwd: workdir,
        env: { ...home.env, CLAUDE_CODE_MAX_RETRIES: '0' },
        args: ['--allowedTools', 'Bash(echo:*)'],
      });
      const created = await post<Session>('/v1/sessions', { slot: slotId });
      expect(created.status).toBe(201);
      return created.body;
    };
    const waitForSessionEvent = async (id: string, test: (e: MissionEvent) => boolean, what: string, timeoutMs = 30_000) => {
      let found: MissionEvent | undefined;
      await waitUntil(async () => Boolean((found = (await sessionEvents(id)).find(test))), timeoutMs, what);
      return found!;
    };
    /** A turn that runs a tool, is refused by `limit`, and ends once it goes on. */
    const echoThen = (limit: () => StubReply) => [
      () => ({
        text: 'Echoing.',
        toolUses: [{ name: 'Bash', input: { command: 'echo mission-session-marker', description: 'Echo a marker' } }],
      }),
      limit,
      () => ({ text: 'Went on after the reset.' }),
    ];
    const echoThenLimit = (prompt: string, resetsIn: number) => echoThen(limitFor(prompt, resetsIn));

    it('stopped mid-turn: "Stop and wait", the slot paused until the reset the transcript recorded, the session blocked; at the reset one continue, no step twice', async () => {
      const prompt = 'echo a marker in a session, then get limited';
      replies[prompt] = echoThenLimit(prompt, 5);
      const session = await startSession('limited-session');
      // The send comes back when the limit stops the turn (not at its timeout): the session is blocked by it.
      const sent = await post<SessionTurn>(`/v1/sessions/${session.id}/send`, { text: prompt, timeoutMs: 60_000 });
      expect(sent.status).toBe(200);
      expect(sent.body.state).toBe('blocked');

      const paused = await waitForSessionEvent(session.id, (e) => e.type === 'slot_paused', 'the slot paused');
      expect(paused.payload).toMatchObject({
        slot: 'limited-session',
        reason: expect.stringMatching(/^You've hit your 5-hour limit · resets /),
      });
      const until = Date.parse((paused.payload as { until: string }).until);
      // The reset the API gave (whole seconds), as the CLI recorded it in the transcript: not the menu's minute.
      const refusedAt = limitedAt[prompt]!;
      expect(until).toBeGreaterThanOrEqual(refusedAt + 5_000 - 1_000);
      expect(until).toBeLessThanOrEqual(refusedAt + 5_000 + 1_000);
      expect((await slot('limited-session')).pause).toMatchObject({ by: { kind: 'session', id: session.id } });
      const row = (await (await system.fetch(`/v1/sessions/${session.id}`)).json()) as Session;
      expect(row).toMatchObject({ state: 'blocked', blocking: { kind: 'usage_limit', options: [] } });
      expect(row.blocking?.text).toContain(`the slot takes work again at ${new Date(until).toISOString()}`);
      // Nothing may be typed meanwhile: it would only hit the limit again.
      const refused = await post<{ error: { code: string; message: string } }>(`/v1/sessions/${session.id}/send`, {
        text: 'hello?',
        timeoutMs: 5_000,
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/waits for its slot's usage limit to reset.*it goes on by itself then/);

      const done = await waitForSessionEvent(
        session.id,
        (e) => e.type === 'assistant_message' && e.payload.text === 'Went on after the reset.',
        'the turn to go on after the reset',
      );
      const events = await sessionEvents(session.id);
      const resumed = events.find((e) => e.type === 'slot_resumed')!;
      expect(resumed.payload).toEqual({ slot: 'limited-session', by: 'reset' });
      const continued = events.filter((e) => e.type === 'user_message' && e.payload.text === CONTINUE_AFTER_LIMIT_PROMPT);
      expect(continued).toHaveLength(1);
      expect(continued[0]!.seq).toBeGreaterThan(resumed.seq);
      expect(done.seq).toBeGreaterThan(continued[0]!.seq);
      expect(Date.parse(continued[0]!.at)).toBeGreaterThanOrEqual(until);
      expect(events.filter((e) => e.type === 'tool_call')).toHaveLength(1);
      await waitForSessionEvent(
        session.id,
        (e) => e.seq > done.seq && e.type === 'state' && e.payload.state === 'idle',
        'the session idle',
      );
      // The conversation went on where it stopped (the marker's output in it) with one continue, nothing more.
      const conversation = stub.conversationRequests(prompt);
      expect(conversation).toHaveLength(3);
      expect(conversation[2]!.lastUserText).toBe(CONTINUE_AFTER_LIMIT_PROMPT);
      expect(JSON.stringify(conversation[2]!.body.messages)).toContain('mission-session-marker');
      expect((await slot('limited-session')).pause).toBeNull();
    });

    it('resumed early by an admin (POST /v1/slots/:id/resume): the stopped turn goes on at once, with one continue', async () => {
      const prompt = 'limited in a session for hours';
      replies[prompt] = echoThenLimit(prompt, 2 * 3600);
      const session = await startSession('resumed-session');
      const sent = await post<SessionTurn>(`/v1/sessions/${session.id}/send`, { text: prompt, timeoutMs: 60_000 });
      expect(sent.body.state).toBe('blocked');
      const paused = await waitForSessionEvent(session.id, (e) => e.type === 'slot_paused', 'the slot paused');
      expect(Date.parse((paused.payload as { until: string }).until)).toBeGreaterThan(Date.now() + 3600_000);
      expect((await post<Slot>('/v1/slots/resumed-session/resume', {})).status).toBe(200);

      const done = await waitForSessionEvent(
        session.id,
        (e) => e.type === 'assistant_message' && e.payload.text === 'Went on after the reset.',
        'the turn to go on after the early resume',
      );
      const events = await sessionEvents(session.id);
      const resumed = events.find((e) => e.type === 'slot_resumed')!;
      expect(resumed.payload).toEqual({ slot: 'resumed-session', by: 'token:test-admin' });
      const continued = events.filter((e) => e.type === 'user_message' && e.payload.text === CONTINUE_AFTER_LIMIT_PROMPT);
      expect(continued).toHaveLength(1);
      expect(continued[0]!.seq).toBeGreaterThan(resumed.seq);
      expect(done.seq).toBeGreaterThan(continued[0]!.seq);
      expect(stub.conversationRequests(prompt)).toHaveLength(3);
    });

    it("an API key's 429 (no menu, no reset told): the slot pauses a minute, the session waits blocked, and its turn goes on once after", async () => {
      const prompt = 'limited by the rate of an API key';
      replies[prompt] = echoThen(() => ({
        error: { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' },
      }));
      const session = await startSession('api-key-session', apiKeyHome);
      const sent = await post<SessionTurn>(`/v1/sessions/${session.id}/send`, { text: prompt, timeoutMs: 60_000 });
      expect(sent.body.state).toBe('blocked');
      const paused = await waitForSessionEvent(session.id, (e) => e.type === 'slot_paused', 'the slot paused');
      expect(paused.payload).toMatchObject({
        slot: 'api-key-session',
        reason: expect.stringMatching(/^API Error: Request rejected \(429\)/),
      });
      const until = Date.parse((paused.payload as { until: string }).until);
      expect(until - Date.parse(paused.at)).toBeGreaterThan(LIMIT_PAUSE_WITHOUT_RESET_MS - 5_000);
      expect(until - Date.parse(paused.at)).toBeLessThanOrEqual(LIMIT_PAUSE_WITHOUT_RESET_MS);
      // Not a minute's wait here: an admin resumes it.
      expect((await post<Slot>('/v1/slots/api-key-session/resume', {})).status).toBe(200);
      await waitForSessionEvent(
        session.id,
        (e) => e.type === 'assistant_message' && e.payload.text === 'Went on after the reset.',
        'the turn to go on after the resume',
      );
      const events = await sessionEvents(session.id);
      expect(events.filter((e) => e.type === 'user_message').map((e) => e.payload.text)).toEqual([prompt, CONTINUE_AFTER_LIMIT_PROMPT]);
      expect(stub.conversationRequests(prompt)).toHaveLength(3);
    });

    it('a turn interrupted while the session waited for the reset is over: at the reset the session is idle, nothing is typed', async () => {
      const prompt = 'limited in a session, then interrupted';
      replies[prompt] = echoThenLimit(prompt, 4);
      const session = await startSession('interrupted-session');
      const sent = await post<SessionTurn>(`/v1/sessions/${session.id}/send`, { text: prompt, timeoutMs: 60_000 });
      expect(sent.body.state).toBe('blocked');
      await waitForSessionEvent(session.id, (e) => e.type === 'slot_paused', 'the slot paused');
      const interrupted = await post<SessionTurn>(`/v1/sessions/${session.id}/interrupt`, {});
      expect(interrupted.status).toBe(200);

      const resumed = await waitForSessionEvent(session.id, (e) => e.type === 'slot_resumed', 'the slot resumed');
      const idle = await waitForSessionEvent(
        session.id,
        (e) => e.seq > resumed.seq && e.type === 'state' && e.payload.state === 'idle',
        'the session idle after the reset',
      );
      const events = await sessionEvents(session.id);
      expect(events.filter((e) => e.type === 'user_message').map((e) => e.payload.text)).toEqual([prompt]);
      expect(events.filter((e) => e.seq > idle.seq && e.type === 'state')).toEqual([]);
      expect(stub.conversationRequests(prompt)).toHaveLength(2);
    });
  });
});
