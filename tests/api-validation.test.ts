import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/system.ts';
import os from 'node:os';

let system: TestSystem;

beforeAll(async () => {
  // No task here reaches a worker's process: the agent is never started.
  system = await startTestSystem({ env: { MISSION_CLAUDE_BIN: '/nonexistent/claude', MISSION_WORKER_CONCURRENCY: '1' } });
  await system.core.slots.put('default', { cwd: os.tmpdir() });
});
afterAll(() => system?.close());

async function post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await system.fetch(path, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe('malformed requests', () => {
  const badTaskBodies: [string, string][] = [
    ['not JSON', '{"prompt": '],
    ['JSON array', '["hello"]'],
    ['JSON string', '"hello"'],
    ['JSON number', '42'],
    ['null', 'null'],
    ['empty object', '{}'],
    ['empty prompt', '{"prompt":""}'],
    ['blank prompt', '{"prompt":"   "}'],
    ['prompt is a number', '{"prompt":5}'],
    ['prompt is an object', '{"prompt":{"text":"hi"}}'],
    ['slot is a number', '{"prompt":"hi","slot":7}'],
    ['slot with a path', '{"prompt":"hi","slot":"../etc"}'],
    ['priority too high', '{"prompt":"hi","priority":101}'],
    ['priority not an integer', '{"prompt":"hi","priority":1.5}'],
    ['priority is a string', '{"prompt":"hi","priority":"high"}'],
    ['timeout too small', '{"prompt":"hi","timeoutMs":5}'],
    ['timeout negative', '{"prompt":"hi","timeoutMs":-1}'],
    ['unknown field', '{"prompt":"hi","colour":"blue"}'],
    ['metadata not an object', '{"prompt":"hi","metadata":"x"}'],
    ['unknown slot', '{"prompt":"hi","slot":"nope"}'],
  ];

  it.each(badTaskBodies)('POST /v1/tasks with %s → 400 with a readable error', async (_name, body) => {
    const res = await post('/v1/tasks', body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('bad_request');
    expect(res.body.error?.message).toMatch(/\w/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('stores nothing for rejected requests', async () => {
    const { tasks } = await system.core.tasks.list({});
    expect(tasks).toHaveLength(0);
  });

  it('names the field and the problem', async () => {
    const res = await post('/v1/tasks', '{"prompt":"hi","priority":"high"}');
    expect(res.body.error?.message).toContain('priority');
    const unknown = await post('/v1/tasks', '{"prompt":"hi","slot":"nope"}');
    expect(unknown.body.error?.message).toBe("invalid task: unknown slot 'nope'; known slots: default");
    // A problem of the whole body (a key it does not take) is not labelled with a field of its own.
    const extra = await post('/v1/tasks', '{"prompt":"hi","colour":"blue"}');
    expect(extra.body.error?.message).toBe('invalid body: Unrecognized key: "colour"');
    const badSlotId = await system.fetch('/v1/slots/a%20b', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"cwd":"/tmp"}',
    });
    expect(((await badSlotId.json()) as { error: { message: string } }).error.message).toBe(
      'invalid slot id: lowercase letters, digits, "_" and "-", starting with a letter or digit',
    );
  });

  it('rejects a bad Idempotency-Key header', async () => {
    const res = await post('/v1/tasks', '{"prompt":"hi"}', { 'content-type': 'application/json', 'idempotency-key': 'has spaces in it' });
    expect(res.status).toBe(400);
  });

  it('rejects a body that is not JSON by content type', async () => {
    const res = await post('/v1/tasks', 'prompt=hi', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe('unsupported_media_type');
  });

  it('rejects a prompt over the size limit with 413', async () => {
    const res = await post('/v1/tasks', JSON.stringify({ prompt: 'x'.repeat(system.config.maxPromptChars + 1) }));
    expect(res.status).toBe(413);
    expect(res.body.error?.message).toContain('MISSION_MAX_PROMPT_CHARS');
  });

  it('rejects bad list queries', async () => {
    for (const query of ['status=sleeping', 'limit=0', 'limit=abc', 'cursor=bm9wZQ', 'colour=blue']) {
      const res = await system.fetch(`/v1/tasks?${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});

describe('unknown ids and routes', () => {
  it.each([
    ['GET', '/v1/tasks/task_nope'],
    ['POST', '/v1/tasks/task_nope/cancel'],
    ['GET', '/v1/tasks/task_nope/events'],
    ['GET', '/v1/slots/nope'],
    ['GET', '/v1/nothing-here'],
  ])('%s %s → 404', async (method, path) => {
    const res = await system.fetch(path, { method });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('not_found');
  });
});

describe('slots', () => {
  it('puts, gets and lists slots; a relative cwd is refused', async () => {
    const put = await system.fetch(`/v1/slots/reviewer`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'specialist', cwd: os.tmpdir(), model: 'haiku', args: ['--max-turns', '3'] }),
    });
    expect(put.status).toBe(200);
    const slot = (await (await system.fetch(`/v1/slots/reviewer`)).json()) as Record<string, unknown>;
    expect(slot).toMatchObject({
      id: 'reviewer',
      role: 'specialist',
      cwd: os.tmpdir(),
      model: 'haiku',
      args: ['--max-turns', '3'],
      source: 'api',
    });
    const list = (await (await system.fetch(`/v1/slots`)).json()) as { slots: { id: string }[] };
    expect(list.slots.map((s) => s.id)).toEqual(['default', 'reviewer']);

    const relative = await system.fetch(`/v1/slots/bad`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cwd: '../../etc' }),
    });
    expect(relative.status).toBe(400);
  });
});

describe('service endpoints', () => {
  it('answers health, readiness, docs and Bull Board', async () => {
    expect((await system.fetch(`/healthz`)).status).toBe(200);
    const ready = await system.fetch(`/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: { ok: true }, postgres: { ok: true } } });
    const openapi = (await (await system.fetch(`/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/v1/tasks', '/v1/ask', '/v1/tasks/{id}', '/v1/tasks/{id}/cancel', '/v1/tasks/{id}/events', '/v1/slots']),
    );
    expect(Object.keys(openapi.paths).some((p) => p.startsWith('/admin'))).toBe(false);
    const board = await system.fetch(`/admin/queues`);
    expect(board.status).toBe(200);
    const page = await board.text();
    expect(page).toContain('<html');
    expect(page).toContain('static/css/main.');
    // Nothing from another host: the dashboard works offline.
    expect(page).not.toMatch(/https?:\/\//);
  });
});
