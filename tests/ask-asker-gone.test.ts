import http from 'node:http';
import type { Socket } from 'node:net';
import type { Task } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';

describe('POST /v1/ask whose asker goes away before the answer (real claude CLI against the stub API)', () => {
  let bed: ClaudeTestBed;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  /**
   * POST /v1/ask on a connection of its own. `hangUp` closes that connection before the answer and resolves once the
   * API's end of it has closed (the API has then seen its asker go).
   */
  async function askOnOwnConnection(prompt: string, headers: Record<string, string> = {}) {
    const { server } = bed.system.app;
    const accepted: Socket[] = [];
    const onConnection = (socket: Socket) => accepted.push(socket);
    server.on('connection', onConnection);
    const request = http.request(`${bed.system.url}/v1/ask`, {
      method: 'POST',
      agent: false,
      headers: { ...bed.system.auth, 'content-type': 'application/json', ...headers },
    });
    // Hanging up fails this side's request: that is the point.
    request.on('error', () => undefined);
    const connected = new Promise<Socket>((resolve) => request.once('socket', (socket) => socket.once('connect', () => resolve(socket))));
    request.end(JSON.stringify({ prompt, timeoutMs: 60_000 }));
    const local = await connected;
    await waitUntil(
      () => accepted.some((socket) => socket.remotePort === local.localPort),
      5_000,
      "the API to accept the ask's connection",
    );
    server.off('connection', onConnection);
    const apiSide = accepted.find((socket) => socket.remotePort === local.localPort)!;
    return {
      hangUp: () =>
        new Promise<void>((resolve) => {
          apiSide.once('close', () => resolve());
          request.destroy();
        }),
    };
  }

  /** The task of this prompt, once claude has sent the prompt to the model (the task is running). */
  async function runningTaskOf(prompt: string): Promise<Task> {
    await waitUntil(() => bed.stub.requests.some((request) => request.lastUserText === prompt), 30_000, 'the prompt to reach the model');
    const { tasks } = (await bed.system.call<{ tasks: Task[] }>('GET', '/v1/tasks?status=running')).body;
    const task = tasks.find((candidate) => candidate.prompt === prompt);
    expect(task, `a running task of '${prompt}'`).toBeDefined();
    return task!;
  }

  it('without an Idempotency-Key, the task is cancelled: nobody waits for its answer any more', async () => {
    const prompt = 'an ask whose asker hangs up';
    bed.stub.enqueue({ text: 'word '.repeat(300), chunks: 300, chunkDelayMs: 100 });
    const ask = await askOnOwnConnection(prompt);
    const task = await runningTaskOf(prompt);
    await ask.hangUp();
    let status = task.status;
    await waitUntil(
      async () => (status = (await bed.system.call<Task>('GET', `/v1/tasks/${task.id}`)).body.status) === 'cancelled',
      15_000,
      `task ${task.id} to be cancelled (it is ${status})`,
    );
  });

  it('with an Idempotency-Key, the task goes on: the same ask repeated with the key waits for it and gets its answer', async () => {
    const prompt = 'an ask repeated after a dropped connection';
    const key = `asker-gone-${Date.now()}`;
    const answer = 'answered once, to whoever asks with the key';
    bed.stub.enqueue({ text: answer, chunks: 20, chunkDelayMs: 150 });
    const ask = await askOnOwnConnection(prompt, { 'idempotency-key': key });
    const task = await runningTaskOf(prompt);
    await ask.hangUp();

    const repeated = await bed.system.fetch('/v1/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ prompt, timeoutMs: 60_000 }),
    });
    const body = (await repeated.json()) as { answer: string; task: Task };
    expect(repeated.status, JSON.stringify(body)).toBe(200);
    expect(repeated.headers.get('idempotent-replayed')).toBe('true');
    expect(body.task).toMatchObject({ id: task.id, status: 'succeeded' });
    expect(body.answer).toBe(answer);
  });
});
