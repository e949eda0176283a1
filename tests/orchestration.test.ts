import type { Coordination, MissionEvent, Session, SessionMessage, Task } from '@mission/contracts';
import { mintAgentToken, queueNames } from '@mission/store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import type { StubReply } from './support/stubAnthropic.ts';

/**
 * Messages between sessions and coordinations, end to end: the real claude CLI (in PTYs for sessions,
 * headless for tasks) against the stub API, driven through REST.
 */
describe('orchestration: messages and coordinate (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  /** The stub's replies by what the prompt contains (side requests without tools get a plain text). */
  const replies: [string, StubReply][] = [];

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    bed.stub.respond((request) =>
      request.tools.length === 0 ? { text: 'side request' } : replies.find(([key]) => request.lastUserText.includes(key))?.[1],
    );
    // alpha takes one task at a time: the coordinating task (on the first slot, `running` meanwhile) must not take that place.
    for (const slot of ['alpha', 'beta', 'gamma'])
      await bed.system.core.slots.put(slot, { cwd: bed.workdir, env: bed.claude.env, ...(slot === 'alpha' ? { maxConcurrency: 1 } : {}) });
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);

  async function spawn(parent?: string): Promise<Session> {
    const res = await call<Session>('POST', '/v1/sessions', { slot: 'default', parent });
    expect(res.status).toBe(201);
    await waitUntil(
      async () => (await call<Session>('GET', `/v1/sessions/${res.body.id}`)).body.state === 'idle',
      30_000,
      'the session to be idle',
    );
    return res.body;
  }

  const eventsOf = (id: string, type: MissionEvent['type']) =>
    bed.system.core.events.list(id).then((events) => events.filter((event) => event.type === type));

  /** What a session did, for a failure's message: its state, its last events, and the prompts the stub API was sent. */
  const storyOf = async (id: string): Promise<string> => {
    const { state } = (await call<Session>('GET', `/v1/sessions/${id}`)).body;
    const events = (await bed.system.core.events.list(id, 0, { limit: 1_000 }))
      .slice(-40)
      .map((event) => `${event.type} ${JSON.stringify(event.payload).slice(0, 160)}`);
    const prompts = bed.stub.requests.map((request) => JSON.stringify(request.lastUserText.slice(0, 80)));
    return `session ${id} is ${state}; its last events:\n  ${events.join('\n  ')}\nprompts the model was sent: ${prompts.join(', ')}`;
  };
  /** Fails with what `id` did unless `answer` (of `what`) is a 200. */
  const expectAnswered = async (answer: { status: number; body: unknown }, what: string, id: string) => {
    if (answer.status !== 200) expect.fail(`${what} answered ${answer.status} ${JSON.stringify(answer.body)}; ${await storyOf(id)}`);
  };

  describe('mission_message', () => {
    let sender: Session;
    let target: Session;
    beforeAll(async () => {
      [sender, target] = await Promise.all([spawn(), spawn()]);
    });

    it('queues a message to a working session and delivers it, naming the sender, once the session is idle', async () => {
      replies.push(
        ['work on this slowly', { text: 'slow work done here', chunks: 8, chunkDelayMs: 400 }],
        ['please review', { text: 'reviewed: looks fine' }],
      );
      // Its own timeout under the test's: a turn that never ends answers, and the failure tells what the session did.
      const working = call('POST', `/v1/sessions/${target.id}/send`, { text: 'work on this slowly', timeoutMs: 25_000 });
      await waitUntil(
        async () => (await call<Session>('GET', `/v1/sessions/${target.id}`)).body.state === 'working',
        20_000,
        'the target to work',
      );

      const sent = await call<SessionMessage>('POST', `/v1/sessions/${target.id}/messages`, { text: 'please review', from: sender.id });
      expect(sent.status).toBe(200);
      expect(sent.body).toMatchObject({ from: sender.id, to: target.id, status: 'queued', reply: null });
      await expectAnswered(await working, 'the send', target.id);

      await waitUntil(
        async () =>
          (await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${target.id}/messages`)).body.messages[0]?.status === 'answered',
        25_000,
        'the reply',
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; ${await storyOf(target.id)}`);
      });
      const [message] = (await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${target.id}/messages`)).body.messages;
      expect(message).toMatchObject({ id: sent.body.id, status: 'answered' });
      expect(message!.reply).toContain('reviewed: looks fine');
      // Delivered only after the slow turn ended: the CLI got it after the slow prompt, with the sender named.
      const prompts = bed.stub.requests.map((request) => request.lastUserText);
      const delivered = prompts.findIndex((text) => text.includes('please review'));
      expect(prompts[delivered]).toBe(`Message from session ${sender.id} (slot default): please review`);
      expect(delivered).toBeGreaterThan(prompts.findIndex((text) => text.includes('work on this slowly')));
      expect(new Date(message!.deliveredAt!).getTime()).toBeGreaterThan(new Date(message!.createdAt).getTime());

      expect((await eventsOf(sender.id, 'message_sent')).map((e) => e.payload)).toEqual([
        { messageId: message!.id, to: target.id, text: 'please review', status: 'queued' },
      ]);
      expect((await eventsOf(target.id, 'message_received')).map((e) => e.payload)).toEqual([
        { messageId: message!.id, from: sender.id, text: 'please review', status: 'queued' },
      ]);
      for (const id of [sender.id, target.id]) {
        // The row is answered first, then the events are stored on both sessions.
        await waitUntil(async () => (await eventsOf(id, 'message_status')).length >= 2, 10_000, 'the answered event');
        expect((await eventsOf(id, 'message_status')).map((e) => e.payload)).toMatchObject([
          { status: 'delivered' },
          { status: 'answered', reply: message!.reply },
        ]);
      }
      expect(
        (await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${sender.id}/messages`)).body.messages.map((m) => m.id),
      ).toEqual([message!.id]);
    });

    it('waits for the reply with waitForReply; a message from nobody comes from the operator', async () => {
      replies.push(['ping from the operator', { text: 'pong back' }]);
      const res = await call<SessionMessage>('POST', `/v1/sessions/${target.id}/messages`, {
        text: 'ping from the operator',
        waitForReply: true,
        timeoutMs: 40_000,
      });
      await expectAnswered(res, 'the message', target.id);
      expect(res.body).toMatchObject({ from: null, status: 'answered' });
      expect(res.body.reply).toContain('pong back');
      expect(bed.stub.requests.some((request) => request.lastUserText === 'Message from the operator: ping from the operator')).toBe(true);
    });

    it('refuses a message to or from an ended session (409) and bad input (400, 404)', async () => {
      expect((await call('POST', `/v1/sessions/${sender.id}/kill`)).status).toBe(200);
      const refused = await call<{ error: { code: string; message: string } }>('POST', `/v1/sessions/${sender.id}/messages`, {
        text: 'anyone there?',
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('has ended');
      // Nor from one: a message naming an ended session as its sender is refused, and the live target is given nothing.
      const fromEnded = await call<{ error: { code: string; message: string; details: unknown } }>(
        'POST',
        `/v1/sessions/${target.id}/messages`,
        { text: 'a word from an ended session', from: sender.id },
      );
      expect(fromEnded.status).toBe(409);
      expect(fromEnded.body.error).toEqual({
        code: 'conflict',
        message: `session ${sender.id} has ended (exited): it can send no messages`,
        details: { sessionId: sender.id, state: 'exited' },
      });
      const toTarget = (await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${target.id}/messages`)).body.messages;
      expect(toTarget.some((m) => m.text === 'a word from an ended session')).toBe(false);
      expect((await eventsOf(target.id, 'message_received')).some((e) => JSON.stringify(e.payload).includes('ended session'))).toBe(false);
      expect((await call('POST', `/v1/sessions/${target.id}/messages`, { text: '  ' })).status).toBe(400);
      expect((await call('POST', '/v1/sessions/ses_nope/messages', { text: 'hi' })).status).toBe(404);
    });

    it('fails the messages still queued for a session that ends', async () => {
      replies.push(['keep busy until killed', { text: 'never finished', chunks: 30, chunkDelayMs: 500 }]);
      const working = call('POST', `/v1/sessions/${target.id}/send`, { text: 'keep busy until killed' });
      await waitUntil(
        async () => (await call<Session>('GET', `/v1/sessions/${target.id}`)).body.state === 'working',
        20_000,
        'the target to work',
      );
      const sent = await call<SessionMessage>('POST', `/v1/sessions/${target.id}/messages`, { text: 'too late' });
      expect(sent.body.status).toBe('queued');
      expect((await call('POST', `/v1/sessions/${target.id}/kill`)).status).toBe(200);
      await working;
      await waitUntil(
        async () =>
          (await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${target.id}/messages`)).body.messages.at(-1)?.status ===
          'failed',
        10_000,
        'the message to fail',
      );
      const last = (await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${target.id}/messages`)).body.messages.at(-1)!;
      expect(last).toMatchObject({ id: sent.body.id, status: 'failed', deliveredAt: null });
      expect(last.error).toContain('the session ended before the message was delivered');
      await waitUntil(
        async () =>
          (await eventsOf(target.id, 'message_status')).some((e) => (e.payload as { messageId?: string }).messageId === sent.body.id),
        10_000,
        'the failed event',
      );
      expect((await eventsOf(target.id, 'message_status')).at(-1)?.payload).toMatchObject({ messageId: sent.body.id, status: 'failed' });
    });
  });

  describe('mission_coordinate', () => {
    const childrenOf = (coordination: Coordination) =>
      bed.system.core.database.db.query.tasks.findMany({ where: (t, { eq }) => eq(t.parentId, coordination.coordination.id) });

    async function coordinate(body: unknown): Promise<Coordination> {
      const res = await call<Coordination>('POST', '/v1/coordinate', body);
      expect(res.status).toBe(200);
      return res.body;
    }

    it('runs one child task per slot as a flow and returns the 3 results once the parent job completed', async () => {
      for (const slot of ['alpha', 'beta', 'gamma']) replies.push([`write part ${slot}`, { text: `${slot} part written` }]);
      const answer = await coordinate({
        goal: 'write the report',
        tasks: { alpha: 'write part alpha', beta: 'write part beta', gamma: 'write part gamma' },
        failurePolicy: 'collect_all',
      });
      expect(answer.coordination).toMatchObject({
        mode: 'coordinate',
        slot: 'alpha',
        prompt: 'write the report',
        status: 'succeeded',
        error: null,
      });
      expect(Object.keys(answer.results).sort()).toEqual(['alpha', 'beta', 'gamma']);
      for (const slot of ['alpha', 'beta', 'gamma'])
        expect(answer.results[slot]).toMatchObject({ status: 'succeeded', result: `${slot} part written`, error: null });
      expect(JSON.parse(answer.coordination.result!)).toEqual(answer.results);

      const children = await childrenOf(answer);
      expect(children.map((child) => child.id).sort()).toEqual(
        Object.values(answer.results)
          .map((r) => r.taskId)
          .sort(),
      );
      for (const child of children) {
        expect(child.prompt).toContain('write the report');
        expect(child.workerId).toBe(bed.system.worker!.id);
      }
      const queue = new Queue(queueNames.coordinations, { connection: bed.system.core.redis, prefix: bed.system.core.config.queuePrefix });
      expect(await queue.getJobState(answer.coordination.id)).toBe('completed');
      await queue.close();
      const statuses = (await bed.system.core.events.list(answer.coordination.id))
        .filter((e) => e.type === 'status')
        .map((e) => (e.payload as { text: string }).text);
      expect(statuses).toHaveLength(3);
      expect(statuses.at(-1)).toMatch(/\(3\/3\)$/);
    });

    it('fail_fast: the first child that fails cancels the others and the coordination fails naming it', async () => {
      replies.push(
        ['ff broken part', { error: { status: 400, type: 'invalid_request_error', message: 'the stub refuses this' } }],
        ['ff slow part', { text: 'too slow to matter', chunks: 20, chunkDelayMs: 500 }],
      );
      const answer = await coordinate({
        goal: 'fail early',
        tasks: { alpha: 'ff broken part', beta: 'ff slow part', gamma: 'ff slow part too' },
      });
      expect(answer.coordination.status).toBe('failed');
      expect(answer.coordination.error).toMatch(/^3 of 3 subtasks did not succeed: alpha \(task_\w+\) failed/);
      expect(answer.results.alpha!.status).toBe('failed');
      expect(answer.results.beta!.status).toBe('cancelled');
      expect(answer.results.gamma!.status).toBe('cancelled');
    });

    it('collect_all: every child runs to its end; the coordination fails but reports each status', async () => {
      replies.push(
        ['ca broken part', { error: { status: 400, type: 'invalid_request_error', message: 'the stub refuses this' } }],
        ['ca good part', { text: 'good part done', chunks: 4, chunkDelayMs: 300 }],
      );
      const answer = await coordinate({
        goal: 'collect them',
        tasks: { alpha: 'ca broken part', beta: 'ca good part', gamma: 'ca good part again' },
        failurePolicy: 'collect_all',
      });
      expect(answer.coordination.status).toBe('failed');
      expect(answer.coordination.error).toMatch(/^1 of 3 subtasks did not succeed: alpha/);
      expect(answer.results).toMatchObject({
        alpha: { status: 'failed' },
        beta: { status: 'succeeded', result: 'good part done' },
        gamma: { status: 'succeeded', result: 'good part done' },
      });
    });

    it("cancelling the coordinating task cancels its children; it ends cancelled with every child's result", async () => {
      replies.push(['cancel me slowly', { text: 'never finished', chunks: 40, chunkDelayMs: 500 }]);
      const goal = 'a coordination cancelled midway';
      const answering = coordinate({
        goal,
        tasks: { alpha: 'cancel me slowly', beta: 'cancel me slowly too' },
        failurePolicy: 'collect_all',
      });
      const tasksNow = async () => (await call<{ tasks: Task[] }>('GET', '/v1/tasks?limit=100')).body.tasks;
      await waitUntil(async () => (await tasksNow()).some((task) => task.prompt === goal), 10_000, 'the coordination');
      const coordinationId = (await tasksNow()).find((task) => task.prompt === goal)!.id;
      const children = () => bed.system.core.database.db.query.tasks.findMany({ where: (t, { eq }) => eq(t.parentId, coordinationId) });
      await waitUntil(
        async () => (await children()).filter((child) => child.status === 'running').length === 2,
        20_000,
        'both children to run',
      );

      const cancel = await call<Task>('POST', `/v1/tasks/${coordinationId}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body).toMatchObject({ id: coordinationId, status: 'cancelled' });
      expect(cancel.body.error).toMatch(/^cancelled on request; 2 of 2 subtasks did not succeed/);
      const answer = await answering;
      expect(answer.coordination.status).toBe('cancelled');
      expect(answer.results).toMatchObject({ alpha: { status: 'cancelled' }, beta: { status: 'cancelled' } });
      expect((await children()).map((child) => child.status)).toEqual(['cancelled', 'cancelled']);
    });

    it('refuses an unknown slot or no subtasks (400) without creating tasks', async () => {
      expect((await call('POST', '/v1/coordinate', { goal: 'g', tasks: {} })).status).toBe(400);
      const unknown = await call<{ error: { message: string } }>('POST', '/v1/coordinate', { goal: 'g', tasks: { nowhere: 'x' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toContain("unknown slot 'nowhere'");
      const { body } = await call<{ tasks: Task[] }>('GET', '/v1/tasks?limit=100');
      expect(body.tasks.filter((task) => task.prompt === 'g')).toEqual([]);
    });
  });

  describe('over MCP', () => {
    let client: Client;
    beforeAll(async () => {
      client = new Client({ name: 'orchestration-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }),
      );
    });
    afterAll(async () => {
      await client?.close();
    });
    const answerOf = <T>(result: CallToolResult) => JSON.parse(result.content[0]?.type === 'text' ? result.content[0].text : '') as T;

    it('mission_coordinate sends a progress notification as each subtask ends and answers with every result', async () => {
      for (const slot of ['alpha', 'beta', 'gamma']) replies.push([`mcp part ${slot}`, { text: `mcp ${slot} done` }]);
      const progress: { progress: number; total?: number; message?: string }[] = [];
      const result = (await client.callTool(
        {
          name: 'mission_coordinate',
          arguments: { goal: 'over mcp', tasks: { alpha: 'mcp part alpha', beta: 'mcp part beta', gamma: 'mcp part gamma' } },
        },
        undefined,
        { onprogress: (p) => progress.push(p) },
      )) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const answer = answerOf<Coordination>(result);
      expect(answer.coordination.status).toBe('succeeded');
      for (const slot of ['alpha', 'beta', 'gamma'])
        expect(answer.results[slot]).toMatchObject({ status: 'succeeded', result: `mcp ${slot} done` });
      expect(progress.map((p) => [p.progress, p.total])).toEqual([
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      // Children end in any order: each notification names one, and counts how many have ended.
      expect(progress.map((p) => p.message?.replace(/^\w+: /, ''))).toEqual(['succeeded (1/3)', 'succeeded (2/3)', 'succeeded (3/3)']);
      expect(progress.map((p) => p.message?.split(':')[0]).sort()).toEqual(['alpha', 'beta', 'gamma']);
    });

    it('mission_message with wait_for_reply answers with the reply', async () => {
      const session = await spawn();
      replies.push(['hello over mcp', { text: 'hi back over mcp' }]);
      const result = (await client.callTool({
        name: 'mission_message',
        arguments: { to: session.id, text: 'hello over mcp', wait_for_reply: true },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(answerOf<SessionMessage>(result)).toMatchObject({
        to: session.id,
        from: null,
        status: 'answered',
        reply: expect.stringContaining('hi back over mcp'),
      });
      await call('POST', `/v1/sessions/${session.id}/kill`);
    });

    it('an agent sends as its own session, to a session it started or to its parent, and to no one else', async () => {
      const manager = await spawn();
      const [specialist, stranger] = await Promise.all([spawn(manager.id), spawn()]);
      const asAgent = async (session: Session) => {
        const token = await mintAgentToken(
          bed.system.core.database.db,
          { kind: 'session', id: session.id },
          { role: 'test', tools: ['mission_message'] },
        );
        const agent = new Client({ name: 'agent', version: '1.0.0' });
        await agent.connect(
          new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        return agent;
      };
      const [managerAgent, specialistAgent] = await Promise.all([asAgent(manager), asAgent(specialist)]);
      const message = (agent: Client, args: Record<string, unknown>) =>
        agent.callTool({ name: 'mission_message', arguments: args }) as Promise<CallToolResult>;
      try {
        replies.push(['check the parser', { text: 'parser checked' }], ['the parser is fine', { text: 'noted, thanks' }]);
        const down = await message(managerAgent, { to: specialist.id, text: 'check the parser', wait_for_reply: true });
        expect(answerOf<SessionMessage>(down)).toMatchObject({
          from: manager.id,
          to: specialist.id,
          status: 'answered',
          reply: expect.stringContaining('parser checked'),
        });
        const up = await message(specialistAgent, { to: manager.id, text: 'the parser is fine', wait_for_reply: true });
        expect(answerOf<SessionMessage>(up)).toMatchObject({ from: specialist.id, to: manager.id, status: 'answered' });
        expect(
          bed.stub.requests.some((r) => r.lastUserText === `Message from session ${specialist.id} (slot default): the parser is fine`),
        ).toBe(true);

        const sideways = await message(specialistAgent, { to: stranger.id, text: 'hello stranger' });
        expect(sideways.isError).toBe(true);
        expect(answerOf<{ error: { code: string; message: string } }>(sideways).error).toMatchObject({
          code: 'forbidden',
          message: `forbidden: session ${stranger.id} is not one of the sessions ${specialist.id} started`,
        });
        const forged = await message(specialistAgent, { to: manager.id, text: 'pretending', from: stranger.id });
        expect(answerOf<{ error: { message: string } }>(forged).error.message).toBe(
          `forbidden: an agent sends as its own session (${specialist.id}), not as ${stranger.id}`,
        );
        expect((await call<{ messages: SessionMessage[] }>('GET', `/v1/sessions/${stranger.id}/messages`)).body.messages).toEqual([]);
      } finally {
        await Promise.all([managerAgent.close(), specialistAgent.close()]);
        await Promise.all([manager, specialist, stranger].map((session) => call('POST', `/v1/sessions/${session.id}/kill`)));
      }
    });
  });
});
