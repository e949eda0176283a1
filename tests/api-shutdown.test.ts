import type { ErrorBody } from '@mission/contracts';
import { childPrompt } from '@mission/core';
import { tables, workerCommandChannel } from '@mission/store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIdleConnection } from './support/idleConnection.ts';
import { waitUntil } from './support/processes.ts';
import { readSse } from './support/sse.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

/**
 * The API closes at once (a rolling restart, Ctrl+C on `npm start`) with readers following event streams and a
 * connection open that no request came on: Node's own close waits for a follower for good, and for the idle connection
 * until its headers time out (60 s and more, past this test's time).
 */
describe('the API shuts down with event streams and unused connections open', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // No worker: the task stays queued, so its event stream follows it and never ends by itself.
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(async () => {
    await system?.close();
  });

  it('cuts the streams (their readers have every event so far, to resume after) and the idle connection, and closes', async () => {
    const { body: task } = await system.call<{ id: string }>('POST', '/v1/tasks', { prompt: 'never run' });
    let firstRead!: () => void;
    const first = new Promise<void>((resolve) => (firstRead = resolve));
    const following = readSse(await system.fetch(`/v1/tasks/${task.id}/events`), () => {
      firstRead();
      return false;
    });
    const idle = await openIdleConnection(system.url);
    await first;

    await system.app.close();
    await idle.closed;
    const messages = await following;
    expect(messages.map((m) => m.event)).toEqual(['state']);
    expect(JSON.parse(messages[0]!.data)).toMatchObject({ seq: 1, type: 'state', payload: { state: 'queued' } });
  });
});

/**
 * Requests that wait on a task or a message (an ask, a coordination, a message's reply: minutes each) would hold a
 * rolling restart up to their timeouts; cutting them would make an ask's asker look gone, and its task be cancelled.
 * Each answers 503 at once, naming what goes on, and nothing is cancelled. A spawn waiting for a worker (up to
 * MISSION_SESSION_PICKUP_TIMEOUT_MS) answers 503 at once too, its job taken off the queue: nothing ran. A command on a
 * session (a send waits for its turn, minutes) answers 503 too: it was handed to the session's worker, which goes on.
 */
describe('the API shuts down with asks, a coordination, a reply, a spawn and session commands waiting', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // No worker: every task stays queued, every wait goes on until the shutdown ends it.
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(async () => {
    await system?.close();
  });

  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    system.fetch(route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const errorOf = async (response: Response) => ({
    status: response.status,
    ...((await response.json()) as { error: ErrorBody['error'] }).error,
  });

  it('answers each 503 naming its task or message, which goes on, and closes', async () => {
    const asked = post('/v1/ask', { prompt: 'asked as JSON' }, { 'idempotency-key': 'shutdown-ask' });
    const streamed = post('/v1/ask', { prompt: 'asked as a stream' }, { accept: 'text/event-stream' }).then((res) => readSse(res));
    const coordinated = post('/v1/coordinate', { goal: 'coordinated', tasks: { default: 'a part' } });
    const mcp = new Client({ name: 'shutdown-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL('/mcp', system.url), { requestInit: { headers: system.auth } }));
    const mcpAsked = mcp.callTool({ name: 'mission_ask', arguments: { prompt: 'asked over MCP' } }) as Promise<CallToolResult>;
    const sessionId = 'ses_shutdown_reply';
    await system.core.database.db.insert(tables.sessions).values({ id: sessionId, slot: 'default', state: 'idle' });
    const replied = post(`/v1/sessions/${sessionId}/messages`, { text: 'reply to this', waitForReply: true });
    const spawned = post('/v1/sessions', { slot: 'default' });
    // A session whose worker takes its commands and never answers: the send and the screen read wait on it.
    const heldId = 'ses_shutdown_send';
    await system.core.database.db
      .insert(tables.sessions)
      .values({ id: heldId, slot: 'default', state: 'idle', ownerWorker: 'held-worker' });
    const taken: string[] = [];
    const listener = system.core.redis.duplicate();
    await listener.subscribe(workerCommandChannel(system.core.config.queuePrefix, 'held-worker'));
    listener.on('message', (_channel: string, message: string) => taken.push((JSON.parse(message) as { name: string }).name));
    const sent = post(`/v1/sessions/${heldId}/send`, { text: 'typed once' });
    const screened = system.fetch(`/v1/sessions/${heldId}/screen`);
    // Every task and the message exist (the waits may start after the shutdown began: they end at once then).
    const taskByPrompt = async (prompt: string) => (await system.core.tasks.list({ limit: 100 })).tasks.find((t) => t.prompt === prompt);
    const prompts = ['asked as JSON', 'asked as a stream', 'asked over MCP', 'coordinated', childPrompt('coordinated', 'a part')];
    await waitUntil(async () => (await Promise.all(prompts.map(taskByPrompt))).every(Boolean), 30_000, 'the tasks');
    await waitUntil(async () => (await system.core.messages.list(sessionId)).length === 1, 30_000, 'the message');
    const starting = async () => (await system.core.sessions.list({ slot: 'default' })).find((s) => s.id !== sessionId);
    await waitUntil(async () => (await starting()) !== undefined, 30_000, 'the spawned session');
    await waitUntil(async () => taken.length === 2, 30_000, "the held worker's commands");

    await system.app.close();

    const ids = Object.fromEntries(await Promise.all(prompts.map(async (p) => [p, (await taskByPrompt(p))!.id] as const)));
    expect(await errorOf(await asked)).toEqual({
      status: 503,
      code: 'unavailable',
      message: `the API is shutting down; task ${ids['asked as JSON']} goes on: ask again with the same Idempotency-Key to wait for it`,
      details: { taskId: ids['asked as JSON'] },
    });
    const stream = await streamed;
    expect(stream.map((m) => m.event)).toEqual(['task', 'error']);
    expect(JSON.parse(stream[1]!.data)).toMatchObject({
      code: 'unavailable',
      message: `the API is shutting down; task ${ids['asked as a stream']} goes on: read it for its answer`,
    });
    expect(await errorOf(await coordinated)).toMatchObject({
      status: 503,
      message: `the API is shutting down; the coordination goes on as task ${ids.coordinated}: read it for its results`,
    });
    const mcpAnswer = await mcpAsked;
    expect(mcpAnswer.isError).toBe(true);
    expect(JSON.stringify(mcpAnswer.content)).toContain(
      `the API is shutting down; task ${ids['asked over MCP']} goes on: read it for its answer`,
    );
    const [message] = await system.core.messages.list(sessionId);
    expect(await errorOf(await replied)).toMatchObject({
      status: 503,
      message: `the API is shutting down; message ${message!.id} goes on (queued): read it for its reply`,
    });
    // A spawn no worker had taken is taken off the queue: asked again, it starts no second session.
    const spawn = (await starting())!;
    expect(await errorOf(await spawned)).toEqual({
      status: 503,
      code: 'unavailable',
      message: `the API is shutting down; no worker had taken session ${spawn.id} yet: it was taken off the queue (lost, nothing ran); ask again`,
      details: { sessionId: spawn.id },
    });
    expect(await system.core.sessions.get(spawn.id)).toMatchObject({
      state: 'lost',
      exitReason: 'the API shut down before a worker took the session',
    });
    expect(await system.core.sessionQueue.getJob(spawn.id)).toBeUndefined();
    // A send cut went to its worker all the same: sent again it would be typed twice, so the answer says it goes on.
    expect(await errorOf(await sent)).toEqual({
      status: 503,
      code: 'unavailable',
      message: `the API is shutting down; the text went to worker held-worker, which goes on with the turn: follow session ${heldId}'s events for the reply (sent again, the text would be typed twice)`,
      details: { sessionId: heldId },
    });
    expect(await errorOf(await screened)).toMatchObject({
      status: 503,
      message: `the API is shutting down; read the screen of session ${heldId} again`,
    });
    listener.disconnect();
    // Nothing was cancelled: the tasks wait for a worker, the message for its session.
    for (const prompt of prompts) expect((await taskByPrompt(prompt))!.status).toMatch(/^(queued|running)$/);
    expect((await system.core.messages.list(sessionId))[0]!.status).toBe('queued');
    await mcp.close();
  });
});
