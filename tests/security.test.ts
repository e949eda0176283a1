import os from 'node:os';
import { newId } from '@mission/contracts';
import { loadConfig, mintAgentToken, tables } from '@mission/store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestSystem, type TestSystem } from './support/system.ts';

/** Limits and checks the API holds against hostile input. */
describe('API hardening', () => {
  let system: TestSystem;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(() => system?.close());

  const post = async (route: string, body: string, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await system.fetch(route, { method: 'POST', headers: { ...json, ...headers }, body });
    return {
      status: res.status,
      body: (await res.json()) as { error?: { code: string; message: string }; id?: string },
      ms: performance.now() - started,
    };
  };

  it("a JSON body nested deeper than 64 levels is a 400 in Mission's words, refused before parsing (2 MB included)", async () => {
    const bomb = '{"prompt":"x","metadata":{"a":' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + '}}';
    const answer = await post('/v1/tasks', bomb);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({ code: 'bad_request', message: 'the JSON body nests deeper than 64 levels' });
    const justDeepEnough = '{"prompt":"x","slot":"nope","metadata":{"a":' + '['.repeat(62) + ']'.repeat(62) + '}}';
    expect((await post('/v1/tasks', justDeepEnough)).body.error?.message).toMatch(/slot 'nope'/);
  });

  it('task metadata over 16 KB is a 400 naming the field', async () => {
    const answer = await post('/v1/tasks', JSON.stringify({ prompt: 'x', metadata: { blob: 'x'.repeat(17 * 1024) } }));
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(/metadata: must be at most 16 KB as JSON/);
  });
});

describe('failed sign-ins per client address', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, env: { MISSION_FAILED_AUTH_LIMIT: '3', MISSION_TRUST_PROXY: 'on' } });
  });
  afterAll(() => system?.close());

  const tryToken = (token: string, address: string) =>
    fetch(`${system.url}/v1/tasks`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': address } });

  it('after the limit of wrong tokens an address gets 429 (even with a right token); other addresses are not affected', async () => {
    // The right token is verified (and cached) from elsewhere first: the 429 below is the cached path's too.
    await system.core.tokenRevocationsFollowed;
    expect((await tryToken(system.auth.authorization.slice('Bearer '.length), '198.51.100.2')).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await tryToken(`msn.tok_${i}.wrong`, '203.0.113.7')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const right = await tryToken(system.auth.authorization.slice('Bearer '.length), '203.0.113.7');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await right.json()) as { error: { message: string } }).error.message).toMatch(
      /^too many failed sign-ins from 203\.0\.113\.7; retry in \d+ s$/,
    );
    expect((await tryToken(system.auth.authorization.slice('Bearer '.length), '198.51.100.1')).status).toBe(200);
    const login = await fetch(`${system.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ token: 'msn.tok_x.wrong' }),
    });
    expect(login.status).toBe(429);
  });

  it('a malformed mission_token cookie is a 401, not a 500', async () => {
    const res = await fetch(`${system.url}/v1/tasks`, { headers: { cookie: 'mission_token=%E0%A4%A', 'x-forwarded-for': '192.0.2.99' } });
    expect(res.status).toBe(401);
  });
});

describe('slot writes (PUT /v1/slots/:id)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, env: { MISSION_SLOT_ROOTS: '/workspace,/tmp' } });
  });
  afterAll(() => system?.close());

  const put = async (body: unknown) => {
    const res = await system.fetch('/v1/slots/hostile', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };

  it('refuses permission-skipping flags, code-injecting env and a cwd outside the allowed roots, with 400s saying which', async () => {
    expect(await put({ cwd: '/tmp', args: ['--dangerously-skip-permissions'] })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('args: --dangerously-skip-permissions is not allowed') } },
    });
    expect(await put({ cwd: '/tmp', args: ['--permission-mode', 'bypassPermissions'] })).toMatchObject({ status: 400 });
    expect(await put({ cwd: '/tmp', env: { LD_PRELOAD: '/tmp/evil.so' } })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('env: LD_PRELOAD is not allowed') } },
    });
    expect(await put({ cwd: '/tmp', env: { NODE_OPTIONS: '--require /tmp/evil.js' } })).toMatchObject({ status: 400 });
    expect(await put({ cwd: '/proc/self' })).toMatchObject({
      status: 400,
      body: { error: { message: 'invalid slot: cwd: /proc/self is a system folder' } },
    });
    expect(await put({ cwd: '/etc' })).toMatchObject({
      status: 400,
      body: { error: { message: 'invalid slot: cwd: /etc is not under an allowed root (/workspace, /tmp; MISSION_SLOT_ROOTS)' } },
    });
    expect((await put({ cwd: '/tmp', args: ['--model', 'sonnet'], env: { FOO: 'bar' } })).status).toBe(200);
  });
});

describe("roles say which slots their agents may use (the role's `slots`)", () => {
  let system: TestSystem;
  let agentId: string;
  let agentToken: string;
  let childOnBroad: string;
  const TOOLS = ['mission_submit', 'mission_ask', 'mission_pty_spawn', 'mission_run', 'mission_message'];

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
    const cwd = os.tmpdir();
    const put = (route: string, body: unknown) =>
      system.fetch(route, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/v1/roles/narrow', { allow: ['Bash(echo:*)'], missionTools: TOOLS, slots: ['narrow', 'narrow-*'] })).status).toBe(
      200,
    );
    expect((await put('/v1/roles/broad', { allow: ['Bash'] })).status).toBe(200);
    for (const [slot, role] of [
      ['narrow', 'narrow'],
      ['narrow-2', 'narrow'],
      ['broad', 'broad'],
    ])
      expect((await put(`/v1/slots/${slot}`, { role, cwd })).status).toBe(200);
    const { db } = system.core.database;
    // The agent: a live session on the narrow slot, as the worker records it, with the child token it would get.
    agentId = newId('ses');
    childOnBroad = newId('ses');
    await db.insert(tables.sessions).values([
      { id: agentId, slot: 'narrow', state: 'idle' },
      { id: childOnBroad, slot: 'broad', state: 'idle', parentId: agentId },
    ]);
    agentToken = await mintAgentToken(db, { kind: 'session', id: agentId }, { role: 'narrow', tools: TOOLS });
  });
  afterAll(() => system?.close());

  async function asAgent<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ name: 'narrow-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', system.url), {
        requestInit: { headers: { authorization: `Bearer ${agentToken}` } },
      }),
    );
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }
  const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

  it('an agent submits to the slots its role names (globs too); the tasks are its own', async () => {
    for (const slot of ['narrow', 'narrow-2']) {
      const result = (await asAgent((client) =>
        client.callTool({ name: 'mission_submit', arguments: { slot, prompt: 'fine' } }),
      )) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(JSON.parse(textOf(result))).toMatchObject({ slot, parentId: agentId, status: 'queued' });
    }
  });

  it.each([
    ['mission_submit', { slot: 'broad', prompt: 'rm -rf everything' }, 'submit a task to'],
    ['mission_ask', { slot: 'broad', prompt: 'rm -rf everything' }, 'ask'],
    ['mission_pty_spawn', { slot: 'broad' }, 'spawn a session on'],
    ['mission_run', { slot: 'broad', prompt: 'rm -rf everything' }, 'spawn a session on'],
  ])(
    "%s to a broader role's slot over MCP is refused in Mission's words, nothing is created, and it is audited",
    async (tool, args, words) => {
      const before = await system.core.database.db.select({ id: tables.tasks.id }).from(tables.tasks);
      const result = (await asAgent((client) => client.callTool({ name: tool, arguments: args }))) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(
        `forbidden: role 'narrow' lets its agents use only the slots narrow, narrow-*, so session ${agentId} may not ${words} slot 'broad'`,
      );
      expect(await system.core.database.db.select({ id: tables.tasks.id }).from(tables.tasks)).toHaveLength(before.length);
      expect(await system.core.database.db.select().from(tables.sessions).where(eq(tables.sessions.slot, 'broad'))).toHaveLength(1);
    },
  );

  it('a message into a session on a slot the role does not name is refused, even one the agent started', async () => {
    const result = (await asAgent((client) =>
      client.callTool({ name: 'mission_message', arguments: { to: childOnBroad, text: 'do the broad thing' } }),
    )) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`may not send a message into slot 'broad'`);
    expect(await system.core.database.db.select().from(tables.sessionMessages)).toEqual([]);
  });

  it('the same token with curl on REST is a 403; the refusals are in the audit trail with the agent as subject', async () => {
    const curl = await fetch(`${system.url}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slot: 'broad', prompt: 'x' }),
    });
    expect(curl.status).toBe(403);
    expect(((await curl.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    // The policy is in core, so an agent caller is refused there whatever front door it came by.
    const caller = await system.core.authenticate(agentToken);
    await expect(system.core.tasks.submit({ slot: 'broad', prompt: 'x' }, { caller })).rejects.toThrow(
      /may not submit a task to slot 'broad'/,
    );
    await expect(
      system.core.coordinations.coordinate({ goal: 'escalate', tasks: { narrow: 'fine', broad: 'x' } }, { caller }),
    ).rejects.toThrow(/may not coordinate a task on slot 'broad'/);

    const audit = await system.fetch(`/v1/audit?kind=slot_denied&subject=${agentId}`);
    const { entries } = (await audit.json()) as {
      entries: { kind: string; actor: string; subject: string; target: string; details: Record<string, unknown> }[];
    };
    expect(entries.map((entry) => entry.details.use).sort()).toEqual([
      'ask',
      'coordinate',
      'message',
      'spawn',
      'spawn',
      'submit',
      'submit',
    ]);
    expect(entries[0]).toMatchObject({
      kind: 'slot_denied',
      actor: `token:session:${agentId}`,
      subject: agentId,
      target: 'broad',
      details: { role: 'narrow', slots: ['narrow', 'narrow-*'] },
    });
  });

  it('a role without `slots` lets its agents use any slot (as before the field); operators are never limited', async () => {
    const put = (route: string, body: unknown) =>
      system.fetch(route, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const role = await put('/v1/roles/open', { missionTools: ['mission_submit'] });
    expect(((await role.json()) as { slots: unknown }).slots).toBeNull();
    expect((await put('/v1/slots/open', { role: 'open', cwd: os.tmpdir() })).status).toBe(200);
    const openAgent = newId('ses');
    await system.core.database.db.insert(tables.sessions).values({ id: openAgent, slot: 'open', state: 'idle' });
    const caller = await system.core.authenticate(
      await mintAgentToken(system.core.database.db, { kind: 'session', id: openAgent }, { role: 'open', tools: ['mission_submit'] }),
    );
    expect((await system.core.tasks.submit({ slot: 'broad', prompt: 'x' }, { caller, parentId: openAgent })).task.slot).toBe('broad');
    expect(
      (
        await system.fetch('/v1/tasks', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ slot: 'broad', prompt: 'x' }),
        })
      ).status,
    ).toBe(202);
  });
});

describe("the console's cookie: writes and the attach only from the API's own origin", () => {
  let system: TestSystem;
  let cookie: string;
  const ALLOWED = 'https://console.example.com';
  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, env: { MISSION_ALLOWED_ORIGINS: `${ALLOWED}, http://localhost:5173` } });
    cookie = `mission_token=${encodeURIComponent(system.auth.authorization.slice('Bearer '.length))}`;
  });
  afterAll(() => system?.close());

  const submit = async (headers: Record<string, string>) => {
    const res = await fetch(`${system.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ slot: 'nope', prompt: 'x' }),
    });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };

  it("a cookie-signed write from another origin, or saying none, is a 403 in Mission's words", async () => {
    expect(await submit({ cookie, origin: 'https://evil.example' })).toEqual({
      status: 403,
      body: {
        error: {
          code: 'forbidden',
          message:
            "a POST signed in by the console's cookie came from https://evil.example (Origin), which is not this API's origin nor in MISSION_ALLOWED_ORIGINS",
        },
      },
    });
    expect((await submit({ cookie, referer: 'https://evil.example/page' })).body.error.message).toContain(
      'came from https://evil.example (Referer)',
    );
    expect((await submit({ cookie, origin: 'null' })).status).toBe(403);
    expect((await submit({ cookie })).body.error.message).toContain('must say where it comes from (Origin or Referer)');
    // Same host on another port is another origin.
    expect((await submit({ cookie, origin: system.url.replace(/:(\d+)$/, (_, port) => `:${Number(port) + 1}`) })).status).toBe(403);
  });

  it("from the API's own origin or an allowed one it goes through (here to the slot check: a 400 for slot 'nope'); reads and bearer tokens are not checked", async () => {
    const through = async (headers: Record<string, string>) => {
      const answer = await submit(headers);
      return answer.status === 400 && answer.body.error.message.includes("slot 'nope'");
    };
    expect(await through({ cookie, origin: system.url })).toBe(true);
    expect(await through({ cookie, referer: `${system.url}/console/tasks` })).toBe(true);
    expect(await through({ cookie, origin: ALLOWED })).toBe(true);
    expect(await through({ cookie, origin: 'http://localhost:5173' })).toBe(true);
    expect(await through({ authorization: system.auth.authorization, origin: 'https://evil.example' })).toBe(true);
    expect((await fetch(`${system.url}/v1/tasks`, { headers: { cookie, origin: 'https://evil.example' } })).status).toBe(200);
  });

  it('the WebSocket attach with the cookie is refused from another origin before it opens', async () => {
    const status = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${system.url.replace('http', 'ws')}/v1/sessions/ses_nope/attach`, { headers: { cookie }, origin });
        socket.once('unexpected-response', (req, res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        socket.once('close', (code) => resolve(code));
        socket.once('error', reject);
      });
    expect(await status('https://evil.example')).toBe(403);
    // Its own origin gets through to the session lookup: the session does not exist (close code 4404).
    expect(await status(system.url)).toBe(4404);
  });

  it('MISSION_ALLOWED_ORIGINS takes origins only', () => {
    expect(() => loadConfig({ MISSION_ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(/MISSION_ALLOWED_ORIGINS/);
    expect(() => loadConfig({ MISSION_ALLOWED_ORIGINS: 'ftp://a.example' })).toThrow(/MISSION_ALLOWED_ORIGINS/);
    expect(loadConfig({ MISSION_ALLOWED_ORIGINS: 'https://a.example:8443/, http://b.example' }).allowedOrigins).toEqual([
      'https://a.example:8443',
      'http://b.example',
    ]);
  });
});

describe('idempotency keys are per token', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, slots: { keyed: { cwd: os.tmpdir() } } });
  });
  afterAll(() => system?.close());

  const newToken = async (name: string) => {
    const res = await system.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, scopes: ['tasks:write'] }),
    });
    return ((await res.json()) as { token: string }).token;
  };
  const submit = async (token: string, prompt: string) => {
    const res = await fetch(`${system.url}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'deploy-42' },
      body: JSON.stringify({ slot: 'keyed', prompt }),
    });
    return {
      status: res.status,
      replayed: res.headers.get('idempotent-replayed'),
      task: (await res.json()) as { id: string; prompt: string },
    };
  };

  it('two tokens with the same key get their own tasks; the same token replays its own', async () => {
    const [alice, bob] = [await newToken('alice'), await newToken('bob')];
    const first = await submit(alice, "alice's prompt");
    const other = await submit(bob, "bob's prompt");
    expect([first.status, other.status]).toEqual([202, 202]);
    expect(other.task.id).not.toBe(first.task.id);
    expect(other.task.prompt).toBe("bob's prompt");
    const again = await submit(alice, "alice's prompt");
    expect(again).toMatchObject({ status: 200, replayed: 'true', task: { id: first.task.id } });
    // Bob cannot reach Alice's task through her key, nor collide with it: a different prompt under his key is his conflict.
    expect((await submit(bob, "alice's prompt")).status).toBe(409);
  });
});
