import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIdleConnection } from './support/idleConnection.ts';
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
