import fs from 'node:fs';
import path from 'node:path';
import type { Approval } from '@mission/contracts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  ElicitRequestSchema,
  type ElicitRequestFormParams,
  type ElicitResult,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { mintAgentToken } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { processesIn, waitUntil } from './support/processes.ts';
import { CACHES_QUESTION, DATABASE_QUESTION } from './support/questions.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';

const TOOLS = [
  'mission_approvals',
  'mission_approve',
  'mission_ask',
  'mission_cancel',
  'mission_cc_in_progress',
  'mission_cc_overview',
  'mission_cc_sessions',
  'mission_cc_tasks',
  'mission_check_approval',
  'mission_coordinate',
  'mission_get_receipt',
  'mission_log_action',
  'mission_logs',
  'mission_message',
  'mission_overview',
  'mission_pty_answer',
  'mission_pty_confirm',
  'mission_pty_interrupt',
  'mission_pty_kill',
  'mission_pty_resume',
  'mission_pty_screen',
  'mission_pty_send',
  'mission_pty_spawn',
  'mission_request_approval',
  'mission_run',
  'mission_sessions',
  'mission_slots',
  'mission_status',
  'mission_submit',
  'mission_tasks',
  'mission_usage',
  'mission_workers',
];

const text = (result: CallToolResult, index = 0) => {
  const block = result.content[index];
  return block?.type === 'text' ? block.text : '';
};
const resourceText = (contents: ({ text: string } | { blob: string })[]) => contents.map((c) => ('text' in c ? c.text : '')).join('');
const json = <T>(result: CallToolResult, index = 0) => JSON.parse(text(result, index)) as T;

describe('MCP server (the SDK client, real claude CLI on the stub API)', () => {
  let bed: ClaudeTestBed;

  /** The stub's reply to each prompt (and, for a tool's result, to the tool it ran). */
  let replies: Record<string, StubReply[]>;
  const reply = (prompt: string, ...answers: StubReply[]) => (replies[prompt] = answers);

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** Both transports: Streamable HTTP at /mcp, and the stdio server started as `claude mcp add mission -- npx mission-mcp` would. */
  const transports: Record<string, () => Transport> = {
    'Streamable HTTP': () =>
      new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }),
    'stdio (npx mission-mcp)': () =>
      new StdioClientTransport({
        command: 'npx',
        args: ['mission-mcp'],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          MISSION_URL: bed.system.url,
          MISSION_TOKEN: bed.system.auth.authorization.slice('Bearer '.length),
        },
        stderr: 'pipe',
      }),
  };

  /** A client over `transport`; with `elicit`, one that puts forms to its person (MCP elicitation), answered by it. */
  async function connect(
    transport: string,
    elicit?: (form: ElicitRequestFormParams, withdrawn: AbortSignal) => ElicitResult | Promise<ElicitResult>,
  ): Promise<Client> {
    const client = new Client({ name: 'mission-test', version: '1.0.0' }, elicit ? { capabilities: { elicitation: {} } } : undefined);
    if (elicit)
      client.setRequestHandler(ElicitRequestSchema, (request, extra) => elicit(request.params as ElicitRequestFormParams, extra.signal));
    await client.connect(transports[transport]!());
    return client;
  }

  const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
    client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  describe.each(Object.keys(transports))('over %s', (transport) => {
    let client: Client;
    beforeAll(async () => {
      client = await connect(transport);
    });
    afterAll(async () => {
      await client?.close();
    });

    it('lists every tool with an input schema and a description', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      expect(byName.mission_submit?.inputSchema.required).toEqual(['prompt']);
      expect(Object.keys(byName.mission_submit?.inputSchema.properties ?? {})).toEqual(
        expect.arrayContaining(['slot', 'prompt', 'priority', 'timeoutMs', 'metadata']),
      );
      expect(byName.mission_pty_send?.inputSchema.required).toEqual(['session', 'text']);
      expect(byName.mission_pty_confirm?.inputSchema.properties?.choice).toMatchObject({ enum: ['yes', 'yes_always', 'no'] });
      expect(byName.mission_pty_confirm?.inputSchema.properties?.reason).toMatchObject({ type: 'string' });
      for (const tool of tools) expect(tool.description?.length, tool.name).toBeGreaterThan(30);
    });

    it('submit, then status until it succeeds', async () => {
      reply(`background work over ${transport}`, { text: `submitted over ${transport}` });
      const submitted = json<{ id: string; status: string }>(
        await call(client, 'mission_submit', { prompt: `background work over ${transport}` }),
      );
      expect(submitted.status).toBe('queued');
      let status = submitted.status;
      await waitUntil(
        async () =>
          ['succeeded', 'failed'].includes(
            (status = json<{ status: string }>(await call(client, 'mission_status', { id: submitted.id })).status),
          ),
        60_000,
        'the task to end',
      );
      expect(status).toBe('succeeded');
      const { tasks } = json<{ tasks: { id: string }[] }>(await call(client, 'mission_tasks', { status: 'succeeded' }));
      expect(tasks.map((t) => t.id)).toContain(submitted.id);
    });

    it('ask returns the answer, with progress notifications on the way', async () => {
      reply(`the answer over ${transport}?`, { text: 'Forty-two.' });
      const progress: string[] = [];
      const result = (await client.callTool({ name: 'mission_ask', arguments: { prompt: `the answer over ${transport}?` } }, undefined, {
        onprogress: (p) => progress.push(p.message ?? ''),
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(text(result)).toBe('Forty-two.');
      expect(json<{ status: string }>(result, 1).status).toBe('succeeded');
      // Seconds before the answer: the claim's `running`, then Claude's reply in the task's order. The last notifications
      // are written right before the answer, and the SDK's client drops any it reads in the same chunk as the answer (it
      // handles notifications a microtask later, after the answer has retired the token: modelcontextprotocol/typescript-sdk#2580),
      // as a loaded machine makes it read them: the reply is not required to arrive, only not out of order.
      expect(progress).toContain('state: running');
      const replied = progress.indexOf('claude: Forty-two.');
      if (replied !== -1) expect(replied).toBeGreaterThan(progress.indexOf('state: running'));
    });

    it('ask from a client that takes no forms, whose Claude asks a question: its asker can reply nothing meanwhile, so Claude is told at once that nobody can answer', async () => {
      const prompt = `pick a database over ${transport}`;
      reply(
        prompt,
        { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }] },
        { text: 'I assumed SQLite.' },
      );
      const result = await call(client, 'mission_ask', { prompt });
      expect(result.isError, text(result)).toBeFalsy();
      expect(text(result)).toBe('I assumed SQLite.');
      const { id } = json<{ id: string }>(result, 1);
      const told = bed.stub.conversationRequests(prompt).flatMap((request) => request.toolResults);
      expect(told).toEqual([
        expect.objectContaining({
          content: expect.stringContaining('Nobody can answer questions here: this task was asked for one answer'),
          isError: true,
        }),
      ]);
      const asked = (await bed.system.core.events.list(id)).filter((event) => event.type === 'approval_requested');
      expect(asked).toEqual([]);
    });

    /** What the task's Claude was told in answer to its tool calls. */
    const toldClaude = (prompt: string) => bed.stub.conversationRequests(prompt).flatMap((request) => request.toolResults);
    /** The task's decisions on its approvals. */
    const decisions = async (id: string) =>
      (await bed.system.core.events.list(id)).filter((event) => event.type === 'permission_decision').map((event) => event.payload);

    it("ask from a client that puts forms to its person (elicitation): Claude's questions come as one form, and the person's answers reach Claude", async () => {
      const prompt = `pick a stack over ${transport}`;
      reply(
        prompt,
        {
          text: 'Two questions first.',
          toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION, CACHES_QUESTION] } }],
        },
        { text: 'Using what you chose.' },
      );
      const forms: ElicitRequestFormParams[] = [];
      const asker = await connect(transport, (form) => {
        forms.push(form);
        return { action: 'accept', content: { q1: '1', q1_words: 'MariaDB, please', q2: ['1', '3'] } };
      });
      try {
        const progress: string[] = [];
        const result = (await asker.callTool({ name: 'mission_ask', arguments: { prompt } }, undefined, {
          onprogress: (p) => progress.push(p.message ?? ''),
        })) as CallToolResult;
        expect(result.isError, text(result)).toBeFalsy();
        expect(text(result)).toBe('Using what you chose.');
        expect(progress).toContainEqual(
          expect.stringMatching(
            /^Claude asks: 1\. Which database should we use\? \(1: Postgres; 2: SQLite\) 2\. Which caches should it keep\? \(1: Sessions; 2: Pages; 3: Queries; pick any\) \(approval appr_\w+: mission_approve answers it\)$/,
          ),
        );
        expect(forms).toHaveLength(1);
        expect(forms[0]!.message).toContain('has 2 questions for you');
        expect(forms[0]!.requestedSchema.properties).toMatchObject({
          q1: {
            title: 'Database',
            description: 'Which database should we use?',
            oneOf: [{ const: '1', title: 'Postgres: The relational one' }, { const: '2' }],
          },
          q2: { type: 'array', description: 'Which caches should it keep? (pick any)' },
        });
        expect(toldClaude(prompt)).toEqual([
          expect.objectContaining({
            content: expect.stringContaining(
              '"Which database should we use?"="MariaDB, please", "Which caches should it keep?"="Sessions, Queries".',
            ),
            isError: false,
          }),
        ]);
        const { id } = json<{ id: string }>(result, 1);
        expect(await decisions(id)).toEqual([
          expect.objectContaining({ tool: 'AskUserQuestion', decision: 'allow', by: 'token:test-admin' }),
        ]);
      } finally {
        await asker.close();
      }
    });

    it('ask from a client that takes forms, whose tool use a rule asks a person about: a form allows it (the tool runs) or refuses it with a reason Claude reads', async () => {
      const { core } = bed.system;
      await core.roles.put('asks-before-writing', { description: 'ask before writing', confirm: ['Edit'] }, 'test');
      await core.slots.put('asks-before-writing', { role: 'asks-before-writing', cwd: bed.workdir, env: bed.claude.env });
      const allowedFile = path.join(bed.workdir, `allowed over ${transport}.txt`);
      const refusedFile = path.join(bed.workdir, `refused over ${transport}.txt`);
      const write = (prompt: string, file: string) =>
        reply(
          prompt,
          { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'written\n' } }] },
          { text: 'Done.' },
        );
      const allowPrompt = `write it over ${transport}`;
      const refusePrompt = `write it anyway over ${transport}`;
      write(allowPrompt, allowedFile);
      write(refusePrompt, refusedFile);
      const forms: ElicitRequestFormParams[] = [];
      const asker = await connect(transport, (form): ElicitResult => {
        forms.push(form);
        return form.message.includes(JSON.stringify(refusedFile))
          ? { action: 'accept', content: { decision: 'deny', reason: 'not on a Friday' } }
          : { action: 'accept', content: { decision: 'allow' } };
      });
      try {
        const allowed = await call(asker, 'mission_ask', { slot: 'asks-before-writing', prompt: allowPrompt });
        expect(allowed.isError, text(allowed)).toBeFalsy();
        expect(fs.readFileSync(allowedFile, 'utf8')).toBe('written\n');
        expect(forms[0]!.message).toMatch(
          /^Claude, working on your ask on slot asks-before-writing, wants to use Write \(the rule Edit asks a person\): \{.*\}\. Allow it\?$/,
        );
        expect(forms[0]!.message).toContain(`"file_path":${JSON.stringify(allowedFile)}`);
        expect(await decisions(json<{ id: string }>(allowed, 1).id)).toEqual([
          expect.objectContaining({ tool: 'Write', decision: 'allow', by: 'token:test-admin' }),
        ]);

        const refused = await call(asker, 'mission_ask', { slot: 'asks-before-writing', prompt: refusePrompt });
        expect(refused.isError, text(refused)).toBeFalsy();
        expect(fs.existsSync(refusedFile)).toBe(false);
        expect(toldClaude(refusePrompt)).toEqual([
          expect.objectContaining({
            content: expect.stringContaining('The person at the asker refused it: not on a Friday'),
            isError: true,
          }),
        ]);
        expect(await decisions(json<{ id: string }>(refused, 1).id)).toEqual([
          expect.objectContaining({ tool: 'Write', decision: 'deny', by: 'token:test-admin' }),
        ]);
        expect(forms).toHaveLength(2);
      } finally {
        await asker.close();
      }
    });

    it("ask from a client that takes forms, on a token that may not decide approvals: its task's tool use is put no form and waits for someone who may", async () => {
      const { core } = bed.system;
      await core.roles.put('asks-before-writing', { description: 'ask before writing', confirm: ['Edit'] }, 'test');
      await core.slots.put('asks-before-writing', { role: 'asks-before-writing', cwd: bed.workdir, env: bed.claude.env });
      const file = path.join(bed.workdir, `decided elsewhere over ${transport}.txt`);
      const prompt = `write it, asked without approvals over ${transport}`;
      reply(
        prompt,
        { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'written\n' } }] },
        { text: 'Done.' },
      );
      const { token } = await core.tokens.create({ name: `tasks-only ${transport}`, scopes: ['tasks:write', 'tasks:read'] }, 'test');
      const forms: unknown[] = [];
      const asker = new Client({ name: 'mission-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
      asker.setRequestHandler(ElicitRequestSchema, (request) => {
        forms.push(request.params);
        return { action: 'accept', content: { decision: 'allow' } };
      });
      await asker.connect(
        transport === 'Streamable HTTP'
          ? new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), {
              requestInit: { headers: { authorization: `Bearer ${token}` } },
            })
          : new StdioClientTransport({
              command: 'npx',
              args: ['mission-mcp'],
              env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', MISSION_URL: bed.system.url, MISSION_TOKEN: token },
              stderr: 'pipe',
            }),
      );
      try {
        const asking = call(asker, 'mission_ask', { slot: 'asks-before-writing', prompt });
        let pending: Approval[] = [];
        await waitUntil(
          async () => {
            pending = json<{ approvals: Approval[] }>(await call(client, 'mission_approvals', { status: 'pending' })).approvals.filter(
              (approval) => approval.tool === 'Write' && JSON.stringify(approval.input).includes(file),
            );
            return pending.length > 0;
          },
          60_000,
          'the tool use to wait for an approval',
        );
        await call(client, 'mission_approve', { id: pending[0]!.id, decision: 'approve' });
        const result = await asking;
        expect(result.isError, text(result)).toBeFalsy();
        expect(fs.readFileSync(file, 'utf8')).toBe('written\n');
        expect(forms).toEqual([]);
      } finally {
        await asker.close();
      }
    });

    it('ask whose person declines the form: Claude is told at once and goes on with its best judgment', async () => {
      const prompt = `pick a database, declined over ${transport}`;
      reply(
        prompt,
        { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }] },
        { text: 'I assumed SQLite.' },
      );
      const asker = await connect(transport, () => ({ action: 'decline' }));
      try {
        const result = await call(asker, 'mission_ask', { prompt });
        expect(result.isError, text(result)).toBeFalsy();
        expect(text(result)).toBe('I assumed SQLite.');
        expect(toldClaude(prompt)).toEqual([
          expect.objectContaining({ content: expect.stringContaining('The person declined to answer your questions.'), isError: true }),
        ]);
        const { id } = json<{ id: string }>(result, 1);
        expect(await decisions(id)).toEqual([expect.objectContaining({ decision: 'deny', by: 'token:test-admin' })]);
      } finally {
        await asker.close();
      }
    });

    it('ask whose question someone else answers first (mission_approve): the form put to the asker is withdrawn', async () => {
      const prompt = `pick a cache, answered elsewhere over ${transport}`;
      let withdrawnForm: (() => void) | undefined;
      const formWithdrawn = new Promise<void>((resolve) => (withdrawnForm = resolve));
      reply(
        prompt,
        { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [CACHES_QUESTION] } }] },
        // The task cannot end (and so end the ask) before the form is withdrawn: by the decision, not by the ask's end.
        { text: 'Caching queries.', heldUntil: formWithdrawn },
      );
      let formShown: (() => void) | undefined;
      const formOut = new Promise<void>((resolve) => (formShown = resolve));
      // A person who never fills the form in: it stays open until Mission withdraws it.
      const asker = await connect(
        transport,
        (_form, withdrawn) =>
          new Promise<ElicitResult>((_resolve, reject) => {
            formShown!();
            withdrawn.addEventListener('abort', () => {
              withdrawnForm!();
              reject(new Error('withdrawn'));
            });
          }),
      );
      try {
        const asking = call(asker, 'mission_ask', { prompt });
        await formOut;
        const pending = json<{ approvals: Approval[] }>(await call(client, 'mission_approvals', { status: 'pending' })).approvals.filter(
          (approval) => approval.tool === 'AskUserQuestion',
        );
        expect(pending).toEqual([expect.objectContaining({ input: { questions: [CACHES_QUESTION] } })]);
        await call(client, 'mission_approve', { id: pending[0]!.id, decision: 'approve', answers: [{ option: '3' }] });
        await formWithdrawn;
        const result = await asking;
        expect(result.isError, text(result)).toBeFalsy();
        expect(text(result)).toBe('Caching queries.');
        expect(toldClaude(prompt)).toEqual([
          expect.objectContaining({ content: expect.stringContaining('"Which caches should it keep?"="Queries"'), isError: false }),
        ]);
      } finally {
        await asker.close();
      }
    });

    it('submit whose Claude asks a question: mission_status lists the pending approval with its questions; once answered, the task succeeds', async () => {
      const prompt = `choose a cache over ${transport}`;
      reply(
        prompt,
        { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [CACHES_QUESTION] } }] },
        { text: 'Caching pages.' },
      );
      const { id } = json<{ id: string }>(await call(client, 'mission_submit', { prompt }));
      type Status = { status: string; result: string | null; pendingApprovals?: Approval[] };
      let status: Status | undefined;
      await waitUntil(
        async () => (status = json<Status>(await call(client, 'mission_status', { id }))).pendingApprovals !== undefined,
        60_000,
        'the task to wait for its question',
      );
      const [pending] = status!.pendingApprovals!;
      expect(pending).toMatchObject({ status: 'pending', tool: 'AskUserQuestion', input: { questions: [CACHES_QUESTION] } });
      expect(
        json(await call(client, 'mission_approve', { id: pending!.id, decision: 'approve', answers: [{ option: '2' }] })),
      ).toMatchObject({
        answers: { 'Which caches should it keep?': 'Pages' },
      });
      await waitUntil(
        async () => (status = json<Status>(await call(client, 'mission_status', { id }))).status === 'succeeded',
        60_000,
        'the task to succeed',
      );
      expect(status).toMatchObject({ result: 'Caching pages.' });
      expect(status!.pendingApprovals).toBeUndefined();
    });

    it('cancel stops a running task: it ran (its prompt reached the model), is cancelled mid-answer and stays cancelled', async () => {
      const prompt = `take your time over ${transport}`;
      reply(prompt, { text: 'slow '.repeat(200), chunks: 200, chunkDelayMs: 100 });
      const { id } = json<{ id: string }>(await call(client, 'mission_submit', { prompt }));
      await waitUntil(() => bed.stub.requests.some((request) => request.lastUserText === prompt), 30_000, 'the prompt to reach the model');
      const running = json<{ status: string; startedAt: string | null }>(await call(client, 'mission_status', { id }));
      expect(running.status).toBe('running');
      expect(running.startedAt).not.toBeNull();
      const cancelled = json<{ status: string }>(await call(client, 'mission_cancel', { id }));
      expect(cancelled.status).toBe('cancelled');
      const states = (await bed.system.core.events.list(id))
        .filter((event) => event.type === 'state')
        .map((event) => (event.payload as { state: string }).state);
      expect(states.slice(states.indexOf('running'))).toEqual(['running', 'cancelled']);
      expect(json<{ status: string; result: string | null }>(await call(client, 'mission_status', { id }))).toMatchObject({
        status: 'cancelled',
        result: null,
      });
    });

    it('errors come back as isError results with the REST error body', async () => {
      const missing = await call(client, 'mission_status', { id: 'task_nope' });
      expect(missing.isError).toBe(true);
      expect(json(missing)).toEqual({ error: { code: 'not_found', message: "task 'task_nope' not found" } });
      const badSlot = await call(client, 'mission_submit', { prompt: 'x', slot: 'nope' });
      expect(badSlot.isError).toBe(true);
      expect(json<{ error: { code: string } }>(badSlot).error.code).toBe('bad_request');
      const decided = await call(client, 'mission_approve', { id: 'appr_nope', decision: 'approve' });
      expect(json(decided)).toEqual({ error: { code: 'not_found', message: "approval 'appr_nope' not found" } });
    });

    it('bad arguments are refused by the schema with a readable message', async () => {
      const result = await call(client, 'mission_pty_confirm', { session: 'ses_x', choice: 'maybe' });
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/choice/);
      const wrongType = await call(client, 'mission_submit', { prompt: 42 });
      expect(wrongType.isError).toBe(true);
      expect(text(wrongType)).toMatch(/prompt/);
    });

    it('overview and slots', async () => {
      const overview = json<{ tasks: { byStatus: Record<string, number> }; queues: { tasks: Record<string, number> } }>(
        await call(client, 'mission_overview'),
      );
      expect(overview.tasks.byStatus.succeeded).toBeGreaterThan(0);
      expect(overview.queues.tasks).toHaveProperty('waiting');
      const { slots } = json<{ slots: { id: string }[] }>(await call(client, 'mission_slots'));
      expect(slots.map((s) => s.id)).toContain('default');
    });

    it('mission_slots gives each slot its options (autoResume, warm pool, task cap, budgets, workspace)', async () => {
      await bed.system.core.slots.put('with-options', {
        cwd: bed.workdir,
        env: bed.claude.env,
        autoResume: true,
        maxConcurrency: 3,
        dailyBudgetUsd: 5,
        treeBudgetUsd: 1.5,
      });
      const { slots } = json<{ slots: Record<string, unknown>[] }>(await call(client, 'mission_slots'));
      expect(slots.find((s) => s.id === 'with-options')).toMatchObject({
        autoResume: true,
        maxConcurrency: 3,
        dailyBudgetUsd: 5,
        treeBudgetUsd: 1.5,
        workspace: 'none',
        pause: null,
      });
      expect(slots.find((s) => s.id === 'default')).toMatchObject({ autoResume: false });
      const listed = await client.listTools();
      expect(listed.tools.find((t) => t.name === 'mission_slots')?.description).toMatch(/autoResume.*warmPool.*budget/s);
    });
  });

  it('a full PTY round trip over MCP: spawn → send → screen → confirm a permission dialog → refuse one with a reason → kill', async () => {
    const client = await connect('Streamable HTTP');
    try {
      reply(
        'make the file',
        {
          text: 'Creating it.',
          toolUses: [{ name: 'Write', input: { file_path: path.join(bed.workdir, 'from-mcp.txt'), content: 'made over MCP\n' } }],
        },
        { text: 'Done over MCP.' },
      );
      const before = new Set(processesIn(bed.workdir));
      const session = json<{ id: string; state: string }>(await call(client, 'mission_pty_spawn', { slot: 'default' }));
      expect(session.id).toMatch(/^ses_/);

      const asked = json<{ state: string; dialog: { tool: string; target: string } }>(
        await call(client, 'mission_pty_send', { session: session.id, text: 'make the file' }),
      );
      expect(asked).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Write', target: 'from-mcp.txt' } });
      expect(text(await call(client, 'mission_pty_screen', { session: session.id }))).toContain('Do you want to create from-mcp.txt?');

      const done = json(await call(client, 'mission_pty_confirm', { session: session.id, choice: 'yes' }));
      expect(done).toEqual({ state: 'idle', response: 'Done over MCP.', dialog: null, approval: null });
      expect(fs.readFileSync(path.join(bed.workdir, 'from-mcp.txt'), 'utf8')).toBe('made over MCP\n');

      reply(
        'remove the file',
        { text: 'Removing it.', toolUses: [{ name: 'Bash', input: { command: 'rm from-mcp.txt', description: 'Remove it' } }] },
        { text: 'Kept it.' },
      );
      const removal = json(await call(client, 'mission_pty_send', { session: session.id, text: 'remove the file' }));
      expect(removal).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Bash' } });
      const refused = await call(client, 'mission_pty_confirm', { session: session.id, choice: 'no', reason: 'the file stays' });
      expect(json(refused)).toEqual({ state: 'idle', response: 'Kept it.', dialog: null, approval: null });
      expect(fs.existsSync(path.join(bed.workdir, 'from-mcp.txt'))).toBe(true);
      const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
      expect(told).toContainEqual(expect.stringContaining('the file stays'));

      const { sessions } = json<{ sessions: { id: string }[] }>(await call(client, 'mission_sessions', { state: 'idle' }));
      expect(sessions.map((s) => s.id)).toContain(session.id);
      const killed = json<{ state: string }>(await call(client, 'mission_pty_kill', { session: session.id }));
      expect(killed.state).toBe('exited');
      expect(processesIn(bed.workdir).filter((pid) => !before.has(pid))).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it("an ask from one of Mission's own agents is put no form, though its client takes them: its Claude is told at once that nobody can answer", async () => {
    // The agent: a task's, as its CLI gets its token (a role with Mission tools), its client taking forms as Claude Code's does.
    // Its model request is held until the ask is over: the stub follows one conversation at a time (scriptByPrompt),
    // so the agent's own CLI must not ask the model between the ask's requests.
    let askOver: (() => void) | undefined;
    reply('the agent that asks', { text: 'Asking a helper.', heldUntil: new Promise<void>((resolve) => (askOver = resolve)) });
    const admin = await connect('Streamable HTTP');
    const submitted = json<{ id: string }>(await call(admin, 'mission_submit', { prompt: 'the agent that asks' }));
    await admin.close();
    await waitUntil(
      () => bed.stub.requests.some((request) => request.lastUserText === 'the agent that asks'),
      60_000,
      "the agent's own model request",
    );
    const role = { allow: [], confirm: [], deny: [], slots: ['default'], missionTools: ['mission_ask'] };
    expect((await bed.system.call('PUT', '/v1/roles/asker', role)).status).toBe(200);
    const token = await mintAgentToken(
      bed.system.core.database.db,
      { kind: 'task', id: submitted.id },
      { role: 'asker', tools: ['mission_ask'] },
    );
    const forms: unknown[] = [];
    const agent = new Client({ name: 'mission-test-agent', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    agent.setRequestHandler(ElicitRequestSchema, (request) => {
      forms.push(request.params);
      return { action: 'decline' };
    });
    await agent.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const prompt = 'an agent asks which database';
      reply(
        prompt,
        { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }] },
        { text: 'I assumed SQLite.' },
      );
      const result = await call(agent, 'mission_ask', { prompt });
      expect(result.isError, text(result)).toBeFalsy();
      expect(text(result)).toBe('I assumed SQLite.');
      expect(forms).toEqual([]);
      expect(bed.stub.conversationRequests(prompt).flatMap((request) => request.toolResults)).toEqual([
        expect.objectContaining({ content: expect.stringContaining('Nobody can answer questions here'), isError: true }),
      ]);
    } finally {
      askOver!();
      await agent.close();
    }
  });

  it('resources: mission://status and mission://sessions, with an update notification on change', async () => {
    const client = await connect('Streamable HTTP');
    try {
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri).sort()).toEqual(['mission://sessions', 'mission://status']);
      const status = await client.readResource({ uri: 'mission://status' });
      expect(JSON.parse(resourceText(status.contents))).toHaveProperty('queues');

      const updated = new Promise<string>((resolve) =>
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)),
      );
      await client.subscribeResource({ uri: 'mission://sessions' });
      const session = json<{ id: string }>(await call(client, 'mission_pty_spawn', { slot: 'default' }));
      expect(await updated).toBe('mission://sessions');
      const listed = await client.readResource({ uri: 'mission://sessions' });
      expect(resourceText(listed.contents)).toContain(session.id);
      await call(client, 'mission_pty_kill', { session: session.id });
    } finally {
      await client.close();
    }
  });

  it('the stdio server says clearly when Mission is not reachable', async () => {
    const client = new Client({ name: 'mission-test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: 'npx',
      args: ['mission-mcp'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', MISSION_URL: 'http://127.0.0.1:9' },
      stderr: 'pipe',
    });
    await expect(client.connect(transport)).rejects.toThrow(/Mission at http:\/\/127\.0\.0\.1:9 failed the request .*Is it running/);
    await client.close();
  });
});
