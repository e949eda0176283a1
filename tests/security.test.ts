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
