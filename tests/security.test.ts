import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; id?: string }, ms: performance.now() - started };
  };

  it('a JSON body nested deeper than 64 levels is a 400 in Mission\'s words, refused before parsing (2 MB included)', async () => {
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

  const tryToken = (token: string, address: string) => fetch(`${system.url}/v1/tasks`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': address } });

  it('after the limit of wrong tokens an address gets 429 (even with a right token); other addresses are not affected', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await tryToken(`msn.tok_${i}.wrong`, '203.0.113.7')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const right = await tryToken(system.auth.authorization.slice('Bearer '.length), '203.0.113.7');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await right.json()) as { error: { message: string } }).error.message).toMatch(/^too many failed sign-ins from 203\.0\.113\.7; retry in \d+ s$/);
    expect((await tryToken(system.auth.authorization.slice('Bearer '.length), '198.51.100.1')).status).toBe(200);
    const login = await fetch(`${system.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' }, body: JSON.stringify({ token: 'msn.tok_x.wrong' }) });
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
    const res = await system.fetch('/v1/slots/hostile', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };

  it('refuses permission-skipping flags, code-injecting env and a cwd outside the allowed roots, with 400s saying which', async () => {
    expect(await put({ cwd: '/tmp', args: ['--dangerously-skip-permissions'] })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('args: --dangerously-skip-permissions is not allowed') } } });
    expect(await put({ cwd: '/tmp', args: ['--permission-mode', 'bypassPermissions'] })).toMatchObject({ status: 400 });
    expect(await put({ cwd: '/tmp', env: { LD_PRELOAD: '/tmp/evil.so' } })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('env: LD_PRELOAD is not allowed') } } });
    expect(await put({ cwd: '/tmp', env: { NODE_OPTIONS: '--require /tmp/evil.js' } })).toMatchObject({ status: 400 });
    expect(await put({ cwd: '/proc/self' })).toMatchObject({ status: 400, body: { error: { message: 'invalid slot: cwd: /proc/self is a system folder' } } });
    expect(await put({ cwd: '/etc' })).toMatchObject({ status: 400, body: { error: { message: 'invalid slot: cwd: /etc is not under an allowed root (/workspace, /tmp; MISSION_SLOT_ROOTS)' } } });
    expect((await put({ cwd: '/tmp', args: ['--model', 'sonnet'], env: { FOO: 'bar' } })).status).toBe(200);
  });
});
