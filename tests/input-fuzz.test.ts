import { tables } from '@mission/store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/system.ts';

/** A small deterministic PRNG, so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '../../../etc/passwd',
  '/tmp/../../etc',
  '${HOME}',
  '`rm -rf /`',
  "'; drop table tasks; --",
  '\u202e\u0301',
  '😀'.repeat(50),
  'x'.repeat(70_000),
  'Bash(',
  'Bash()',
  '<script>alert(1)</script>',
];

/** Random JSON, weighted towards what breaks parsers: wrong types, nasty strings, unknown fields, deep nesting. */
function randomValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return [0, -1, 1e308, -1e308, 0.5, 2 ** 53 + 1, Math.floor(random() * 1e9)][Math.floor(random() * 7)];
    case 3:
    case 4:
      return NASTY_STRINGS[Math.floor(random() * NASTY_STRINGS.length)];
    case 5:
      return 'fuzz-' + Math.floor(random() * 1e6).toString(36);
    case 6:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default:
      return randomObject(random, depth + 1);
  }
}

/** An object with some known field names, always with at least one field no schema knows. */
function randomObject(random: () => number, depth = 0): Record<string, unknown> {
  const fields = [
    'prompt',
    'slot',
    'text',
    'choice',
    'cwd',
    'args',
    'env',
    'allow',
    'deny',
    'confirm',
    'name',
    'scopes',
    'timeoutMs',
    'priority',
    'cols',
    'rows',
    'reason',
    'role',
  ];
  const object: Record<string, unknown> = { [`unknown_${Math.floor(random() * 1e6)}`]: randomValue(random, depth + 1) };
  for (let i = Math.floor(random() * 4); i > 0; i--) object[fields[Math.floor(random() * fields.length)]!] = randomValue(random, depth + 1);
  return object;
}

describe('bad input: REST and MCP fuzzed, every answer a clear 4xx, nothing stored', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.close();
  });

  /** Row counts of everything input could create. */
  async function counts(): Promise<Record<string, number>> {
    const { db } = system.core.database;
    const result: Record<string, number> = {};
    for (const name of ['tasks', 'sessions', 'slots', 'roleVersions', 'approvals', 'apiTokens', 'events'] as const)
      result[name] = (await db.select().from(tables[name])).length;
    return result;
  }

  it('REST: 400 random bodies on every POST and PUT route, and nasty ids and queries everywhere', async () => {
    const random = prng(20_261_125);
    const before = await counts();
    const problems: string[] = [];
    const writes = system.app.routeAccess.filter((r) => (r.method === 'POST' || r.method === 'PUT') && r.url.startsWith('/v1/'));
    expect(writes.length).toBeGreaterThan(10);
    for (const route of writes) {
      for (let i = 0; i < 25; i++) {
        const body = i === 0 ? '{"unterminated' : JSON.stringify(i % 5 === 0 ? randomValue(random) : randomObject(random));
        const path = route.url.replace(/:(\w+)/g, () =>
          encodeURIComponent(String(NASTY_STRINGS[Math.floor(random() * NASTY_STRINGS.length)] || 'x')).slice(0, 300),
        );
        const res = await system.fetch(path, { method: route.method, headers: { 'content-type': 'application/json' }, body });
        const answer = await res.text();
        if (res.status < 400 || res.status >= 500)
          problems.push(`${route.method} ${path.slice(0, 80)} ${body.slice(0, 80)} → ${res.status} ${answer.slice(0, 200)}`);
        else if (!/^\{"error":\{"code":"\w+","message":"[^"]+/.test(answer) || answer.includes('    at '))
          problems.push(`${route.method} ${route.url}: unclear error ${answer.slice(0, 200)}`);
      }
    }
    const reads = system.app.routeAccess.filter(
      (r) => r.method === 'GET' && r.url.startsWith('/v1/') && !r.url.endsWith('/attach') && !r.url.endsWith('/events'),
    );
    for (const route of reads) {
      for (const nasty of NASTY_STRINGS.slice(0, 12)) {
        const path = route.url.replace(/:(\w+)/g, encodeURIComponent(nasty || ' ')) + `?limit=${encodeURIComponent(nasty)}&unknown=1`;
        const res = await system.fetch(path);
        if (res.status >= 500) problems.push(`GET ${path.slice(0, 120)} → ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await counts()).toEqual(before);
    expect((await fetch(`${system.url}/readyz`)).status).toBe(200);
  });

  it('REST: the named cases answer with what is wrong', async () => {
    const post = async (path: string, body: unknown, method = 'POST') => {
      const res = await system.fetch(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, message: ((await res.json()) as { error: { message: string } }).error.message };
    };
    const tooLong = 'x'.repeat(system.config.maxPromptChars + 1);
    expect(await post('/v1/tasks', { prompt: tooLong })).toMatchObject({ status: 413, message: expect.stringMatching(/prompt/) });
    expect(await post('/v1/tasks', { prompt: 'a\u0000b' })).toMatchObject({ status: 400, message: expect.stringContaining('NUL') });
    expect(await post('/v1/tasks', { prompt: 'hi', extra: 1 })).toMatchObject({ status: 400, message: expect.stringContaining('extra') });
    expect(await post('/v1/tasks', { prompt: 42 })).toMatchObject({ status: 400, message: expect.stringMatching(/prompt/) });
    expect(await post('/v1/slots/x', { cwd: '../../etc' }, 'PUT')).toMatchObject({
      status: 400,
      message: expect.stringContaining('absolute'),
    });
    expect(await post('/v1/slots/x', { cwd: '/tmp/\u0000' }, 'PUT')).toMatchObject({
      status: 400,
      message: expect.stringContaining('NUL'),
    });
    expect(await post('/v1/slots/..%2F..%2Fetc', { cwd: '/tmp' }, 'PUT')).toMatchObject({ status: 400 });
    expect(await post('/v1/roles/dev', { allow: ['Bash(npm test:*'] }, 'PUT')).toMatchObject({
      status: 400,
      message: expect.stringContaining("'Bash(npm test:*' is not a rule"),
    });
    expect(await post('/v1/roles/dev', { allow: 'Read' }, 'PUT')).toMatchObject({ status: 400, message: expect.stringContaining('allow') });
    const huge = await system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x'.repeat(3 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });

  it('MCP: random arguments to every tool are refused as isError results; the server keeps answering', async () => {
    const random = prng(42);
    const before = await counts();
    const client = new Client({ name: 'fuzz', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', system.url), { requestInit: { headers: system.auth } }));
    const { tools } = await client.listTools();
    const problems: string[] = [];
    for (const tool of tools) {
      for (let i = 0; i < 15; i++) {
        const args = randomObject(random);
        const result = (await client.callTool({ name: tool.name, arguments: args })) as CallToolResult;
        const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
        if (!result.isError) problems.push(`${tool.name} ${JSON.stringify(args).slice(0, 100)} was accepted`);
        else if (text.includes('    at ') || text.length === 0) problems.push(`${tool.name}: unclear error ${text.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(await client.ping()).toEqual({});
    expect(await counts()).toEqual(before);
    await client.close();
  });
});
