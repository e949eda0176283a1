import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, MissionError, type SessionTurn, type WorkerCommandName } from '@mission/contracts';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelSubscriber } from './channelSubscriber.ts';
import { type CommandHandlers, CommandClient, serveCommands, workerQueueName } from './commandBus.ts';
import { createLogger } from './logger.ts';
import { createRedis } from './redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `t${randomBytes(5).toString('hex')}`;
const connection = createRedis(url, 'command-bus-test');
const subscriberConnection = createRedis(url, 'command-bus-test-subscriber');
const subscriber = new ChannelSubscriber(subscriberConnection, createLogger({ level: 'warn', name: 'command-bus-test' }));
const client = new CommandClient(connection, subscriber, prefix);
const workerId = 'worker one';
const TIMEOUT_MS = 10_000;

const turn: SessionTurn = { state: 'idle', response: 'hello back', dialog: null, approval: null };
/** What each handler was given, in order. */
const received: { name: WorkerCommandName; args: unknown; aborted: boolean }[] = [];
const handlers: CommandHandlers = {
  send: async (args, signal) => (
    received.push({ name: 'send', args, aborted: signal.aborted }), { ...turn, response: `you said ${args.text}` }
  ),
  confirm: async (args) => (received.push({ name: 'confirm', args, aborted: false }), { ...turn, state: 'working' }),
  answer: async (args) => (received.push({ name: 'answer', args, aborted: false }), turn),
  interrupt: async (args) => (received.push({ name: 'interrupt', args, aborted: false }), turn),
  screen: async (args) => (
    received.push({ name: 'screen', args, aborted: false }),
    { state: 'idle', title: 't', lines: ['> '], cursor: { row: 0, col: 2 }, dialog: null, status: null }
  ),
  // A worker of another version answering something this one cannot read.
  serialize: async () => 42 as unknown as string,
  kill: async ({ sessionId }) => {
    throw new ConflictError(`session ${sessionId} is not running on worker ${workerId} any more`);
  },
  deliver_messages: async () => null,
  'cc.sessions': async (args) => (received.push({ name: 'cc.sessions', args, aborted: false }), []),
};
const served: unknown[] = [];
let server: Worker;

/** A job sent as any API has always sent it: the command's name, its data, and the reply on `<prefix>:reply:<job id>`. */
async function rawCall(queueName: string, name: string, data: unknown): Promise<unknown> {
  const id = randomUUID();
  let answer: (reply: unknown) => void = () => {
    // replaced by the promise's resolve below
  };
  const replied = new Promise((resolve) => (answer = resolve));
  const unsubscribe = await subscriber.subscribe(`${prefix}:reply:${id}`, (message) => answer(JSON.parse(message)));
  const queue = new Queue(queueName, { connection, prefix });
  try {
    await queue.add(name, data, { jobId: id, removeOnComplete: true });
    return await replied;
  } finally {
    unsubscribe();
    await queue.close();
  }
}

describe('the command bus between API and worker (real Redis)', () => {
  beforeAll(() => {
    server = serveCommands({ connection, prefix, workerId, concurrency: 10, handlers, onError: (error) => served.push(error) });
  });

  afterAll(async () => {
    await server.close();
    await client.close();
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length > 0) await connection.del(...keys);
    connection.disconnect();
    subscriberConnection.disconnect();
  });

  it('runs the command named by the table with its arguments checked, and answers its result typed', async () => {
    const answer = await client.call(workerId, 'send', { sessionId: 'ses_1', text: 'hi', timeoutMs: 5_000 }, TIMEOUT_MS);
    expect(answer).toEqual({ ...turn, response: 'you said hi' });
    const records = await client.call(workerId, 'cc.sessions', {}, TIMEOUT_MS);
    expect(records).toEqual([]);
    expect(received.slice(-2)).toEqual([
      { name: 'send', args: { sessionId: 'ses_1', text: 'hi', timeoutMs: 5_000 }, aborted: false },
      { name: 'cc.sessions', args: {}, aborted: false },
    ]);
    expect(await client.call(workerId, 'deliver_messages', { sessionId: 'ses_1' }, TIMEOUT_MS)).toBeNull();
  });

  it('answers bad_request for arguments the table refuses, without running the handler', async () => {
    const before = received.length;
    const reply = await rawCall(workerQueueName(workerId), 'confirm', { sessionId: 'ses_1', choice: 'maybe', timeoutMs: 1_000, by: 'ops' });
    expect(reply).toEqual({
      ok: false,
      error: { code: 'bad_request', message: expect.stringMatching(/^invalid arguments of 'confirm': choice: /) },
    });
    expect(received.length).toBe(before);
    expect(served).toEqual([]);
  });

  it('answers bad_request for a command outside the table', async () => {
    expect(await rawCall(workerQueueName(workerId), 'reboot', {})).toEqual({
      ok: false,
      error: { code: 'bad_request', message: "unknown command 'reboot'" },
    });
  });

  it("passes a handler's Mission error to the caller as it was", async () => {
    const error = await client.call(workerId, 'kill', { sessionId: 'ses_2' }, TIMEOUT_MS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissionError);
    expect(error).toMatchObject({ code: 'conflict', message: `session ses_2 is not running on worker ${workerId} any more` });
  });

  it('refuses at the caller a result that is not what the command answers', async () => {
    const error = await client.call(workerId, 'serialize', { sessionId: 'ses_1' }, TIMEOUT_MS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissionError);
    expect(error).toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/^worker worker one answered 'serialize' with a result Mission cannot read: /),
    });
  });

  it('keeps the wire format: a job from an API of an earlier version is served, and a worker of an earlier version understands this client', async () => {
    // An earlier API: the job's name and data, the reply on its channel.
    expect(await rawCall(workerQueueName(workerId), 'interrupt', { sessionId: 'ses_3' })).toEqual({ ok: true, value: turn });
    expect(received.at(-1)).toEqual({ name: 'interrupt', args: { sessionId: 'ses_3' }, aborted: false });

    // An earlier worker: reads the job's name and data as they are and publishes `{ ok, value }`.
    const jobs: { name: string; data: unknown }[] = [];
    const earlier = new Worker(
      workerQueueName('earlier'),
      async (job) => {
        jobs.push({ name: job.name, data: job.data });
        await connection.publish(`${prefix}:reply:${job.id}`, JSON.stringify({ ok: true, value: { ...turn, state: 'working' } }));
      },
      { connection, prefix },
    );
    try {
      const answer = await client.call(
        'earlier',
        'confirm',
        { sessionId: 'ses_4', choice: 'yes', timeoutMs: 2_000, by: 'token ops' },
        TIMEOUT_MS,
      );
      expect(answer).toEqual({ ...turn, state: 'working' });
      expect(jobs).toEqual([{ name: 'confirm', data: { sessionId: 'ses_4', choice: 'yes', timeoutMs: 2_000, by: 'token ops' } }]);
    } finally {
      await earlier.close();
    }
  });
});

/** Never run: what the types refuse (checked by `npm run typecheck`). */
export async function typeChecks(): Promise<void> {
  // @ts-expect-error a command outside the table
  await client.call(workerId, 'reboot', {}, TIMEOUT_MS);
  // @ts-expect-error `send` needs its text
  await client.call(workerId, 'send', { sessionId: 'ses_1', timeoutMs: 1_000 }, TIMEOUT_MS);
  // @ts-expect-error `screen` answers a screen, not text
  const text: string = await client.call(workerId, 'screen', { sessionId: 'ses_1' }, TIMEOUT_MS);
  void text;
  const { kill: _kill, ...withoutKill } = handlers;
  // @ts-expect-error a command without its handler
  serveCommands({ connection, prefix, workerId, concurrency: 1, handlers: withoutKill, onError: () => undefined });
  // @ts-expect-error a handler answering what its command does not
  const wrong: CommandHandlers = { ...handlers, serialize: async () => 42 };
  void wrong;
}
