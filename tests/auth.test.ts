import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { startApi } from '@mission/api';
import { hasScope, newId, type Scope, scopes } from '@mission/contracts';
import { type CoreRuntime, createCoreRuntime } from '@mission/core';
import { createLogger, type DatabaseHandle, mintAgentToken, openDatabase, TaskStore, tables } from '@mission/store';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startTestSystem, type TestSystem, approvalStoreOf } from './support/system.ts';

/** A concrete path for a route pattern (`:id` → a made-up id, `*` → a made-up rest). */
const concrete = (url: string) => url.replace(/:(\w+)/g, 'x-$1').replace(/\*/g, 'x');

describe('API auth: tokens, scopes, rate limit', () => {
  let system: TestSystem;
  const tokens: Partial<Record<Scope, string>> = {};

  beforeAll(async () => {
    system = await startTestSystem();
    for (const scope of scopes) tokens[scope] = (await system.core.tokens.create({ name: `only-${scope}`, scopes: [scope] }, 'test')).token;
  });
  afterAll(async () => {
    await system?.close();
  });

  const request = (method: string, path: string, token?: string) =>
    fetch(system.url + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      },
      body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
    });

  it("every route says who may call it, and only health, docs, signed approval links and the console's page, login and auth flag are public", () => {
    const publicRoutes = system.app.routeAccess.filter((r) => r.access === 'public').map((r) => r.url);
    // '' is the console's page at `/`; its login checks the token it is given.
    expect(new Set(publicRoutes.map((url) => url.split('/')[1]))).toEqual(
      new Set(['healthz', 'readyz', 'docs', 'approvals', '', 'assets', 'login', 'logout', 'console']),
    );
    expect(system.app.routeAccess.filter((r) => r.url.startsWith('/v1/')).every((r) => r.access !== 'public')).toBe(true);
    expect(system.app.routeAccess.find((r) => r.url === '/mcp')?.access).toBe('token');
    expect(system.app.routeAccess.filter((r) => r.url.startsWith('/admin/queues')).every((r) => r.access === 'admin')).toBe(true);
  });

  it('walks the route table: 401 without a token or with a bad one, 403 with a token missing the scope', async () => {
    const guarded = system.app.routeAccess.filter((r) => r.access !== 'public');
    expect(guarded.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const route of guarded) {
      const path = concrete(route.url);
      for (const [what, token] of [
        ['no token', undefined],
        ['a wrong token', 'msn.tok_0000.bad'],
        ['garbage', 'hello'],
      ] as const) {
        const res = await request(route.method, path, token);
        if (res.status !== 401) failures.push(`${route.method} ${route.url} with ${what}: ${res.status}`);
      }
      if (route.access === 'token') continue;
      const lacking = scopes.find((scope) => !hasScope([scope], route.access as Scope))!;
      const res = await request(route.method, path, tokens[lacking]);
      if (res.status !== 403) failures.push(`${route.method} ${route.url} with only ${lacking}: ${res.status}`);
      else expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`needs the '${route.access}' scope`);
    }
    expect(failures).toEqual([]);
  });

  it('a token with the scope gets in; write implies read; admin implies everything', async () => {
    expect((await request('GET', '/v1/tasks', tokens['tasks:read'])).status).toBe(200);
    expect((await request('GET', '/v1/tasks', tokens['tasks:write'])).status).toBe(200);
    expect((await request('GET', '/v1/sessions', tokens['tasks:write'])).status).toBe(403);
    expect((await request('GET', '/v1/approvals', tokens['approvals:write'])).status).toBe(200);
    expect((await request('GET', '/v1/tokens', tokens.admin)).status).toBe(200);
    expect((await request('GET', '/admin/queues', tokens.admin)).status).toBe(200);
    expect((await request('GET', '/admin/queues', tokens['tasks:write'])).status).toBe(403);
    const cookie = await fetch(`${system.url}/v1/tasks`, {
      headers: { cookie: `other=1; mission_token=${encodeURIComponent(tokens['tasks:read']!)}` },
    });
    expect(cookie.status).toBe(200);
  });

  it('tokens are stored hashed, listed without secrets, and stop working once revoked', async () => {
    const created = await system.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', scopes: ['tasks:write'] }),
    });
    expect(created.status).toBe(201);
    const { token, info } = (await created.json()) as { token: string; info: { id: string; createdBy: string } };
    expect(info.createdBy).toBe('token:test-admin');
    const rows = await system.core.database.db.select().from(tables.apiTokens);
    expect(JSON.stringify(rows)).not.toContain(token.split('.')[2]);
    const listed = await (await system.fetch('/v1/tokens')).text();
    expect(listed).toContain(info.id);
    expect(listed).not.toContain(token.split('.')[2]);
    expect((await request('GET', '/v1/tasks', token)).status).toBe(200);
    expect((await system.fetch(`/v1/tokens/${info.id}/revoke`, { method: 'POST' })).status).toBe(200);
    const revoked = await request('GET', '/v1/tasks', token);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toBe('the API token has been revoked');
    const bad = await system.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['root'] }),
    });
    expect(bad.status).toBe(400);
  });

  it('`mission token create` makes a token the API takes; bad scopes are refused with the list of good ones', () => {
    const env = { ...process.env, DATABASE_URL: system.config.databaseUrl!, LOG_LEVEL: 'silent' };
    const run = (...args: string[]) => spawnSync('npx', ['mission', 'token', ...args], { env, encoding: 'utf8', timeout: 60_000 });
    const created = run('create', '--name', 'from-cli', '--scopes', 'tasks:read', '--json');
    expect(created.status).toBe(0);
    const { token, info } = JSON.parse(created.stdout) as { token: string; info: { name: string; scopes: string[]; createdBy: string } };
    expect(info).toMatchObject({ name: 'from-cli', scopes: ['tasks:read'], createdBy: 'cli' });
    return request('GET', '/v1/tasks', token).then((res) => {
      expect(res.status).toBe(200);
      // A usage error, before the database is opened: the scopes there are, and the ones given that are not.
      const refused = run('create', '--name', 'x', '--scopes', 'tasks:read,root');
      expect(refused.status).toBe(2);
      expect(refused.stderr).toBe(
        "mission: --scopes takes tasks:read, tasks:write, sessions:read, sessions:write, approvals:read, approvals:write, admin (comma-separated), not 'root'\nRun `mission help token` for usage.\n",
      );
      expect(run('create', '--name', 'x').stderr).toMatch(/^mission: token create needs --scopes: one or more of tasks:read, /);
    });
  });

  it('signed approval links (a credential to decide) go only to callers with approvals:write', async () => {
    const store = approvalStoreOf(system);
    const approval = await store.create({
      owner: { kind: 'task', id: 'tsk_links' },
      slot: 'default',
      role: 'default',
      tool: 'Bash',
      input: { command: 'ls' },
      rule: null,
      timeoutMs: 60_000,
    });
    const seen = async (token: string) => {
      const one = (await (await request('GET', `/v1/approvals/${approval.id}`, token)).json()) as { id: string; url?: string };
      const listed = (await (await request('GET', '/v1/approvals?status=pending', token)).json()) as {
        approvals: { id: string; url?: string }[];
      };
      return [one.url, listed.approvals.find((a) => a.id === approval.id)?.url];
    };
    expect(await seen(tokens['approvals:read']!)).toEqual([undefined, undefined]);
    const [one, listed] = await seen(tokens['approvals:write']!);
    expect(one).toMatch(new RegExp(`/approvals/[^/]+$`));
    expect(listed).toBe(one);
    await store.expire(approval.id);
  });

  it('the WebSocket attach takes ?access_token= (browsers cannot send headers) and refuses a bad one', async () => {
    const status = (query: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${system.url.replace('http', 'ws')}/v1/sessions/ses_nope/attach${query}`);
        socket.once('unexpected-response', (req, res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        socket.once('close', (code) => resolve(code));
        socket.once('error', reject);
      });
    expect(await status('')).toBe(401);
    expect(await status('?access_token=msn.tok_1.nope')).toBe(401);
    expect(await status(`?access_token=${encodeURIComponent(tokens['tasks:read']!)}`)).toBe(403);
    // A good token gets through to the session lookup: the session does not exist (close code 4404).
    expect(await status(`?access_token=${encodeURIComponent(tokens['sessions:write']!)}`)).toBe(4404);
  });

  it('MCP: every tool checks the scope it needs; a session belongs to the token that opened it', async () => {
    const connect = async (token: string) => {
      const client = new Client({ name: 'auth-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', system.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      });
      await client.connect(transport);
      return { client, transport };
    };
    const reader = await connect(tokens['tasks:read']!);
    const slots = (await reader.client.callTool({ name: 'mission_slots', arguments: {} })) as CallToolResult;
    expect(slots.isError).toBeFalsy();
    const spawn = (await reader.client.callTool({ name: 'mission_pty_spawn', arguments: {} })) as CallToolResult;
    expect(spawn.isError).toBe(true);
    expect(JSON.parse((spawn.content[0] as { text: string }).text)).toEqual({
      error: { code: 'forbidden', message: "this needs the 'sessions:write' scope; the token has tasks:read" },
    });
    await expect(reader.client.readResource({ uri: 'mission://sessions' })).rejects.toThrow(/sessions:read/);

    // Another token cannot use the reader's MCP session.
    const hijack = await fetch(`${system.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.admin}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': reader.transport.sessionId!,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(403);
    await expect(connect('msn.tok_1.nope')).rejects.toThrow(/401|not valid/);
    await reader.client.close();
  });
});

describe('rate limit per token', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ env: { MISSION_RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(async () => {
    await system?.close();
  });

  it('answers 429 with Retry-After past the limit, for that token only', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await system.fetch('/v1/slots')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await system.fetch('/v1/slots');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    const other = (await system.core.tokens.create({ name: 'other', scopes: ['tasks:read'] }, 'test')).token;
    expect((await fetch(`${system.url}/v1/slots`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    expect((await fetch(`${system.url}/healthz`)).status).toBe(200);
  });

  it('a request refused for its scope is not counted against its rate, its token cached or not', async () => {
    await system.core.tokenRevocationsFollowed;
    const reader = (await system.core.tokens.create({ name: 'reader', scopes: ['tasks:read'] }, 'test')).token;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${system.url}${path}`, { ...init, headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' } }).then(
        (res) => res.status,
      );
    const refused = [];
    for (let i = 0; i < 7; i++) refused.push(await call('/v1/tasks', { method: 'POST', body: JSON.stringify({ prompt: 'no' }) }));
    expect(refused).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(await call('/v1/slots')).toBe(200);
  });
});

describe('token cache: verified tokens kept for a TTL, dropped at once on revoke in every API process', () => {
  // A TTL far longer than any test: a token that stops working did so by the revocation, not by expiry.
  const TTL_MS = 600_000;
  let system: TestSystem;
  let second: { core: CoreRuntime; app: FastifyInstance; database: DatabaseHandle; url: string };
  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, env: { MISSION_TOKEN_CACHE_TTL_MS: String(TTL_MS) } });
    // A second API on the same database and Redis prefix: a replica with a cache of its own.
    const database = await openDatabase({ url: system.config.databaseUrl, dataDir: system.config.dataDir });
    const core = createCoreRuntime({
      config: system.config,
      logger: createLogger({ level: 'silent', name: 'second-api' }),
      database,
      redisUrl: system.config.redisUrl!,
    });
    const app = await startApi(core, []);
    const address = app.server.address();
    second = { core, app, database, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
    await Promise.all([system.core.tokenRevocationsFollowed, core.tokenRevocationsFollowed]);
  });
  afterAll(async () => {
    await second?.app.close();
    await second?.core.close();
    await second?.database.close();
    await system?.close();
  });

  const get = (base: string, token: string) =>
    fetch(`${base}/v1/slots`, { headers: { authorization: `Bearer ${token}` } }).then((res) => res.status);
  const newToken = async (name: string) => system.core.tokens.create({ name, scopes: ['admin'] }, 'test');

  it("a cached token is served without a database lookup (revoked behind Mission's back, it still works), and an announced revocation drops it", async () => {
    const { token, info } = await newToken('cached');
    expect(await get(system.url, token)).toBe(200);
    const select = vi.spyOn(system.core.database.db, 'select');
    await system.core.database.db.update(tables.apiTokens).set({ revokedAt: new Date() }).where(eq(tables.apiTokens.id, info.id));
    select.mockClear();
    expect(await system.core.authenticate(token)).toMatchObject({ key: info.id });
    expect(select).not.toHaveBeenCalled();
    select.mockRestore();
    expect(await get(system.url, token)).toBe(200);
    // A wrong secret for a cached id is still refused.
    expect(await get(system.url, `${token.slice(0, -2)}xx`)).toBe(401);
    await system.core.events.announceRevokedTokens({ tokens: [info.id] });
    await expect.poll(() => get(system.url, token), { timeout: 5_000 }).toBe(401);
  });

  it('revoked over REST: 401 at once on the API that revoked it, and on a second API as soon as the announcement reaches it', async () => {
    const { token, info } = await newToken('replicated');
    expect(await get(system.url, token)).toBe(200);
    expect(await get(second.url, token)).toBe(200);
    expect((await system.fetch(`/v1/tokens/${info.id}/revoke`, { method: 'POST' })).status).toBe(200);
    expect(await get(system.url, token)).toBe(401);
    await expect.poll(() => get(second.url, token), { timeout: 5_000 }).toBe(401);
  });

  it("a task's child token is dropped from the cache when its task ends", async () => {
    await system.core.slots.put('cached', { cwd: os.tmpdir() });
    const taskId = newId('task');
    await system.core.database.db.insert(tables.tasks).values({
      id: taskId,
      slot: 'cached',
      status: 'running',
      mode: 'submit',
      prompt: 'x',
      priority: 50,
      timeoutMs: 60_000,
      workerId: 'wrk_cache',
    });
    const child = await mintAgentToken(
      system.core.database.db,
      { kind: 'task', id: taskId },
      { role: 'default', tools: ['mission_status'] },
    );
    expect((await system.core.authenticate(child)).agent).toMatchObject({ kind: 'task', id: taskId });
    expect((await second.core.authenticate(child)).agent).toMatchObject({ kind: 'task', id: taskId });
    // The worker's way out of a run (here: it shut down past its grace period) revokes and announces.
    await new TaskStore({ db: system.core.database.db, events: system.core.events }).settleInterrupted(taskId, {
      kind: 'shutdown',
      workerId: 'wrk_cache',
    });
    await expect
      .poll(
        () =>
          system.core.authenticate(child).then(
            () => 'ok',
            (error: Error) => error.message,
          ),
        { timeout: 5_000 },
      )
      .toContain('revoked');
    await expect
      .poll(
        () =>
          second.core.authenticate(child).then(
            () => 'ok',
            (error: Error) => error.message,
          ),
        { timeout: 5_000 },
      )
      .toContain('revoked');
  });
});
