import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type MissionEvent } from '@mission/contracts';
import { tables } from '@mission/store';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { processesIn, waitUntil } from './support/processes.ts';
import { readSse } from './support/sse.ts';
import { promptAsked, type StubAnthropic } from './support/stubAnthropic.ts';
import type { TestSystem } from './support/system.ts';
import { type AgentStart, warmAgentReady, warmPoolFor } from './support/warmAgents.ts';

interface TaskJson {
  id: string;
  status: string;
  result: string | null;
  error: string | null;
  usage: Record<string, unknown> | null;
  costUsd: number | null;
}

const json = { 'content-type': 'application/json' };

function defineSuite(database: 'postgres' | 'pglite', start: AgentStart) {
  describe(`tasks end to end on ${database}, ${start} agents, real claude CLI against the stub API`, () => {
    let bed: ClaudeTestBed;
    let stub: StubAnthropic;
    let system: TestSystem;

    beforeAll(async () => {
      bed = await startClaudeTestBed({ database, ...warmPoolFor(start) });
      ({ stub, system } = bed);
    });
    afterAll(async () => bed?.close());

    const submit = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      await warmAgentReady(system, (body.slot as string | undefined) ?? 'default', start);
      const res = await system.fetch(`/v1/tasks`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
      return { status: res.status, task: (await res.json()) as TaskJson };
    };
    const getTask = async (id: string) => (await (await system.fetch(`/v1/tasks/${id}`)).json()) as TaskJson;
    const waitForStatus = async (id: string, statuses: string[], timeoutMs = 30_000) => {
      let task = await getTask(id);
      await waitUntil(async () => statuses.includes((task = await getTask(id)).status), timeoutMs, `task ${id} to reach ${statuses}`);
      return task;
    };

    it('runs a task: the stub answers, the task succeeds with its text and usage, the SSE stream has the events in order', async () => {
      stub.enqueue({ text: 'The answer is 42.', usage: { input_tokens: 321, output_tokens: 54 } });
      const { status, task } = await submit({ prompt: 'What is the answer?' });
      expect(status).toBe(202);
      expect(task.status).toBe('queued');

      const stream = await system.fetch(`/v1/tasks/${task.id}/events`);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      const messages = await readSse(stream);
      const events = messages.filter((m) => m.event !== 'end').map((m) => JSON.parse(m.data) as MissionEvent);
      expect(messages.at(-1)?.event).toBe('end');
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(messages.filter((m) => m.id).map((m) => Number(m.id))).toEqual(events.map((e) => e.seq));
      const types = events.map((e) => (e.type === 'state' ? `state:${e.payload.state}` : e.type));
      expect(types).toEqual(['state:queued', 'state:running', 'assistant_message', 'result', 'state:succeeded']);
      expect(events.find((e) => e.type === 'assistant_message')?.payload).toEqual({ text: 'The answer is 42.' });
      expect(stub.requests.at(-1)?.lastUserText).toBe('What is the answer?');

      const [row] = await system.core.database.db.select().from(tables.tasks).where(eq(tables.tasks.id, task.id));
      expect(row).toMatchObject({ status: 'succeeded', result: 'The answer is 42.', error: null, numTurns: 1 });
      expect(row?.usage).toMatchObject({ input_tokens: 321, output_tokens: 54 });
      expect(row?.costUsd).toBeGreaterThan(0);
      expect(row?.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('resumes the event stream after Last-Event-ID', async () => {
      stub.enqueue({ text: 'resumable' });
      const { task } = await submit({ prompt: 'resume me' });
      await waitForStatus(task.id, ['succeeded']);
      const resumed = await readSse(await system.fetch(`/v1/tasks/${task.id}/events`, { headers: { 'last-event-id': '2' } }));
      expect(resumed.filter((m) => m.id).map((m) => Number(m.id))).toEqual([3, 4, 5]);
    });

    it('returns the same task for a repeated Idempotency-Key, and 409 for the key with another prompt', async () => {
      stub.enqueue({ text: 'once' });
      const first = await submit({ prompt: 'only once' }, { 'idempotency-key': `key-${database}` });
      const again = await submit({ prompt: 'only once' }, { 'idempotency-key': `key-${database}` });
      expect(first.status).toBe(202);
      expect(again.status).toBe(200);
      expect(again.task.id).toBe(first.task.id);
      // A replay says so: the header, and a hint in the body.
      const replay = await system.fetch(`/v1/tasks`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': `key-${database}` },
        body: JSON.stringify({ prompt: 'only once' }),
      });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await replay.json()).toMatchObject({
        id: first.task.id,
        replayed: true,
        hint: expect.stringContaining(`Idempotency-Key 'key-${database}' was used before`),
      });
      const other = await submit({ prompt: 'something else' }, { 'idempotency-key': `key-${database}` });
      expect(other.status).toBe(409);
      await waitForStatus(first.task.id, ['succeeded']);
      const { tasks } = await system.core.tasks.list({});
      expect(tasks.filter((t) => t.idempotencyKey === `key-${database}`)).toHaveLength(1);
    });

    it('answers POST /v1/ask with the result', async () => {
      stub.enqueue({ text: 'Paris.' });
      await warmAgentReady(system, 'default', start);
      const res = await system.fetch(`/v1/ask`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ prompt: 'Capital of France?', timeoutMs: 30_000 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { answer: string; task: TaskJson };
      expect(body.answer).toBe('Paris.');
      expect(body.task.status).toBe('succeeded');
    });

    it('marks the task failed with the API error message', async () => {
      // The CLI retries a failed request (a 400 included), so the API has to keep refusing this prompt.
      const refusal = { status: 400, type: 'invalid_request_error', message: 'stub says: this request is refused' };
      stub.respond((request) => (request.lastUserText === 'trigger an API error' ? { error: refusal } : undefined));
      const { task } = await submit({ prompt: 'trigger an API error' });
      const ended = await waitForStatus(task.id, ['succeeded', 'failed']);
      expect(ended.status).toBe('failed');
      expect(ended.error).toContain('stub says: this request is refused');
    });

    it("no API key: the task's error is Mission's (claude_no_credentials, fix: ANTHROPIC_API_KEY), not claude's '/login'", async () => {
      const { ANTHROPIC_API_KEY: _key, ...withoutKey } = bed.claude.env;
      await system.core.slots.put('nokey', { cwd: bed.workdir, env: withoutKey, ...warmPoolFor(start) });
      const { task } = await submit({ slot: 'nokey', prompt: 'with no key' });
      const ended = await waitForStatus(task.id, ['succeeded', 'failed']);
      expect(ended.status).toBe('failed');
      expect(ended.error).toMatch(
        /^claude_no_credentials: claude has no credentials: no API key and no login\. Fix: set ANTHROPIC_API_KEY in Mission's environment .*`mission doctor` checks it \(claude said: Not logged in · Please run \/login\)$/,
      );
    });

    it('POST /v1/ask answers by how the task ended: failed 502 task_failed, timed out 504; a replayed key says so and how to run it again', async () => {
      const refusal = { status: 400, type: 'invalid_request_error', message: 'stub says: this ask is refused' };
      stub.respond((request) => (request.lastUserText === 'ask and fail' ? { error: refusal } : undefined));
      type ErrorJson = { error: { code: string; message: string; details: { task: TaskJson; idempotentReplayed?: boolean } } };
      const ask = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
        await warmAgentReady(system, 'default', start);
        return system.fetch(`/v1/ask`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
      };
      const key = { 'idempotency-key': `ask-fail-${database}` };

      const failed = await ask({ prompt: 'ask and fail', timeoutMs: 30_000 }, key);
      const failedBody = (await failed.json()) as ErrorJson;
      expect(failed.status).toBe(502);
      expect(failed.headers.get('idempotent-replayed')).toBeNull();
      expect(failedBody.error.code).toBe('task_failed');
      expect(failedBody.error.message).toMatch(
        new RegExp(`^task ${failedBody.error.details.task.id} failed: .*stub says: this ask is refused`),
      );
      expect(failedBody.error.details.task.status).toBe('failed');

      const replayed = await ask({ prompt: 'ask and fail', timeoutMs: 30_000 }, key);
      const replayedBody = (await replayed.json()) as ErrorJson;
      expect(replayed.status).toBe(502);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayedBody.error.details).toMatchObject({
        idempotentReplayed: true,
        task: { id: failedBody.error.details.task.id, status: 'failed' },
      });
      expect(replayedBody.error.message).toContain(
        `(the task of Idempotency-Key 'ask-fail-${database}', replayed: send a new key to run the prompt again)`,
      );

      // Kept for this prompt: a cold CLI under load may be stopped before it asks, and the reply must not answer the next test.
      stub.enqueueFor('answer too late', { text: 'slow '.repeat(100), chunks: 100, chunkDelayMs: 200 });
      const late = await ask({ prompt: 'answer too late', timeoutMs: 3_000 });
      const lateBody = (await late.json()) as ErrorJson;
      expect(late.status).toBe(504);
      expect(lateBody.error.code).toBe('timeout');
    });

    it('cancels a running task: the claude process ends within 2 s and the task is cancelled', async () => {
      const slowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-e2e-slow-'));
      const slowHome = prepareClaudeHome({ apiUrl: stub.url, trustedDirs: [slowDir] });
      await system.core.slots.put('slow', { cwd: slowDir, env: slowHome.env, ...warmPoolFor(start) });
      stub.enqueue({ text: 'word '.repeat(400), chunks: 400, chunkDelayMs: 100 });
      await warmAgentReady(system, 'slow', start);
      // A warm agent is the one waiting now (another starts in its place once it has its prompt); a cold one starts for the task.
      const waiting = processesIn(slowDir);
      const { task } = await submit({ slot: 'slow', prompt: 'talk slowly' });
      await waitForStatus(task.id, ['running']);
      await waitUntil(() => processesIn(slowDir).length > 0, 10_000, 'claude to start');
      await promptAsked(stub, 'talk slowly');
      const agent = start === 'warm' ? waiting : processesIn(slowDir);
      expect(agent).toHaveLength(1);

      const started = Date.now();
      const res = await system.fetch(`/v1/tasks/${task.id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as TaskJson).status).toBe('cancelled');
      await waitUntil(() => !processesIn(slowDir).includes(agent[0]!), 2_000, 'the claude process to end');
      expect(Date.now() - started).toBeLessThan(2_000);
      if (start === 'warm') {
        // The pool is switched off with the slot's warmPool: its waiting agent ends too.
        await system.core.slots.put('slow', { cwd: slowDir, env: slowHome.env });
        await system.worker!.warmPools.reconcile();
        await waitUntil(() => processesIn(slowDir).length === 0, 5_000, 'the warm agent of the slot to end');
      }
      await slowHome.remove();
      fs.rmSync(slowDir, { recursive: true, force: true });
    });

    it('marks a task over its timeout timed_out', async () => {
      // Kept for this prompt: under load the CLI may be stopped before it asks, and the reply must not answer the next test.
      stub.enqueueFor('take too long', { text: 'slow '.repeat(100), chunks: 100, chunkDelayMs: 200 });
      const { task } = await submit({ prompt: 'take too long', timeoutMs: 3_000 });
      const ended = await waitForStatus(task.id, ['timed_out', 'succeeded', 'failed'], 15_000);
      expect(ended.status).toBe('timed_out');
      expect(ended.error).toBe('no result within 3000 ms');
    });

    it('maps a Bash tool call and its output to events', async () => {
      await system.core.slots.put('bash', {
        cwd: bed.workdir,
        env: bed.claude.env,
        args: ['--allowedTools', 'Bash(echo:*)'],
        ...warmPoolFor(start),
      });
      stub.enqueue({
        text: 'Running it.',
        toolUses: [{ name: 'Bash', input: { command: 'echo mission-tool-output', description: 'Echo a marker' } }],
      });
      stub.enqueue({ text: 'Done: it printed the marker.' });
      const { task } = await submit({ slot: 'bash', prompt: 'echo a marker' });
      await waitForStatus(task.id, ['succeeded']);
      const events = await system.core.events.list(task.id);
      const call = events.find((e) => e.type === 'tool_call');
      const output = events.find((e) => e.type === 'tool_output');
      expect(call?.payload).toMatchObject({ tool: 'Bash', input: { command: 'echo mission-tool-output' } });
      expect(output?.payload).toMatchObject({ output: 'mission-tool-output', isError: false });
      expect(stub.requests.at(-1)?.toolResults[0]?.content).toContain('mission-tool-output');
    });

    it("a command Claude ran in the background ends after the turn: a notice in the CLI's words, the CLI tells Claude in a turn of its own, and the task ends with that turn's reply and every turn's tokens", async () => {
      stub.enqueue({
        text: 'Starting the check.',
        toolUses: [{ name: 'Bash', input: { command: 'sleep 1; echo checked', description: 'Run the check', run_in_background: true } }],
        usage: { input_tokens: 100, output_tokens: 10 },
      });
      stub.enqueue({ text: 'It runs in the background.', usage: { input_tokens: 200, output_tokens: 20 } });
      stub.enqueue({ text: 'The check passed.', usage: { input_tokens: 400, output_tokens: 40 } });
      const { task } = await submit({ prompt: 'run the check in the background' });
      const ended = await waitForStatus(task.id, ['succeeded']);
      expect(JSON.stringify(stub.requests.at(-1)?.body.messages)).toContain('<task-notification>');
      expect(ended.result).toBe('The check passed.');
      const events = await system.core.events.list(task.id);
      // The command's end is told between the turns, in the CLI's words.
      const told = events.filter((e) => e.type === 'result' || e.type === 'notice' || e.type === 'assistant_message');
      expect(told.map((e) => e.payload)).toEqual([
        { text: 'Starting the check.' },
        { text: 'It runs in the background.' },
        expect.objectContaining({ text: 'It runs in the background.' }),
        { kind: 'task_notification', text: 'Background command "Run the check" completed (exit code 0)' },
        { text: 'The check passed.' },
        expect.objectContaining({ text: 'The check passed.' }),
      ]);
      // Each of the CLI's two results counts its own turns' tokens; the task, all of them.
      const results = events.filter((e) => e.type === 'result');
      expect(results.map((e) => e.type === 'result' && e.payload.text)).toEqual(['It runs in the background.', 'The check passed.']);
      expect(ended.usage).toMatchObject({ input_tokens: 700, output_tokens: 70 });
    });

    it("a subagent's messages, tool calls and outputs are the task's events marked as the agent's; Claude's own are not; its tokens count", async () => {
      const prompt = `have an agent read the notes (${database}, ${start})`;
      const agentPrompt = `Open notes-${database}-${start}.txt and report what it holds.`;
      const notes = path.join(bed.workdir, `notes-${database}-${start}.txt`);
      fs.writeFileSync(notes, 'hello notes\n');
      // The agent's requests are told from Claude's by their conversation's first message; each side's cost apart.
      const claudes = { input_tokens: 100, output_tokens: 10 };
      const agents = { input_tokens: 1000, output_tokens: 100 };
      stub.respond((request) => {
        if (request.tools.length === 0) return undefined;
        if (request.conversation.includes(agentPrompt))
          return request.toolResults.length === 0
            ? { text: 'Reading.', toolUses: [{ name: 'Read', input: { file_path: notes } }], usage: agents }
            : { text: 'The notes say hello.', usage: agents };
        if (!request.conversation.includes(prompt)) return undefined;
        if (request.lastUserText === prompt)
          return {
            text: 'Delegating.',
            toolUses: [{ name: 'Agent', input: { description: 'Read the notes', prompt: agentPrompt, subagent_type: 'general-purpose' } }],
            usage: claudes,
          };
        return { text: request.toolResults.length > 0 ? 'Delegated.' : 'The agent has read them.', usage: claudes };
      });
      try {
        const { task } = await submit({ prompt });
        const ended = await waitForStatus(task.id, ['succeeded']);
        expect(ended.result).toBe('The agent has read them.');
        // Claude's three requests and the agent's two: the CLI's results count Claude's alone, its count by model all.
        expect(ended.usage).toMatchObject({ input_tokens: 2300, output_tokens: 230 });
        const told = (await system.core.events.list(task.id)).flatMap((e) =>
          e.type === 'assistant_message' || e.type === 'tool_call' || e.type === 'tool_output'
            ? [[e.type, 'text' in e.payload ? e.payload.text : 'tool' in e.payload ? e.payload.tool : e.payload.output, e.payload.subagent]]
            : [],
        );
        // The agent runs beside Claude's turn that started it: each one's events in its own order.
        expect(told.filter(([, , by]) => by === undefined).map(([type, what]) => [type, what])).toEqual([
          ['assistant_message', 'Delegating.'],
          ['tool_call', 'Agent'],
          ['tool_output', expect.stringContaining('Async agent launched')],
          ['assistant_message', 'Delegated.'],
          ['assistant_message', 'The agent has read them.'],
        ]);
        const agent = { id: expect.stringMatching(/^a[0-9a-f]+$/), type: 'general-purpose' };
        expect(told.filter(([, , by]) => by !== undefined)).toEqual([
          ['assistant_message', 'Reading.', agent],
          ['tool_call', 'Read', agent],
          ['tool_output', expect.stringContaining('hello notes'), agent],
          ['assistant_message', 'The notes say hello.', agent],
        ]);
        expect(new Set(told.flatMap(([, , by]) => (by ? [(by as { id: string }).id] : []))).size).toBe(1);
        // Claude is told of the agent's end in a turn of its own, after it.
        const at = (text: string) => told.findIndex(([, what]) => what === text);
        expect(at('The notes say hello.')).toBeLessThan(at('The agent has read them.'));
      } finally {
        stub.respond(() => undefined);
      }
    });

    it.runIf(start === 'warm')('handed every task of the suite a warm agent, which started before its task', () => {
      const pools = system.worker!.warmPools;
      expect(pools.handedOut('default')).toBeGreaterThanOrEqual(7);
      expect(pools.handedOut('slow')).toBe(1);
      expect(pools.handedOut('bash')).toBe(1);
      expect(pools.handedOut('nokey')).toBe(1);
    });
  });
}

defineSuite('postgres', 'cold');
defineSuite('pglite', 'cold');
defineSuite('postgres', 'warm');
