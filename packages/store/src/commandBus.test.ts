import { randomBytes, randomUUID } from 'node:crypto';
import { ConflictError, MissionError, type SessionTurn, type WorkerCommandName } from '@mission/contracts';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelSubscriber } from './channelSubscriber.ts';
import { subscriptionsOf, untilSubscribers } from './pubsub.testSupport.ts';
import {
  type CommandHandlers,
  CommandClient,
  CommandServer,
  commandReplyPrefix,
  workerCommandChannel,
  workerQueueName,
} from './commandBus.ts';
import { createLogger } from './logger.ts';
import { createRedis } from './redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `t${randomBytes(5).toString('hex')}`;
const logger = createLogger({ level: 'warn', name: 'command-bus-test' });
const connection = createRedis(url, 'command-bus-test');
// The API's subscriber hears its replies through a pattern; the worker's is a plain one (no pattern, as a worker's).
const clientId = randomUUID();
const subscriberName = `${prefix}-api-subscriber`;
const subscriberConnection = createRedis(url, subscriberName);
const subscriber = new ChannelSubscriber(subscriberConnection, logger, { prefixes: [commandReplyPrefix(prefix, clientId)] });
const workerSubscriberConnection = createRedis(url, 'command-bus-test-worker-subscriber');
const workerSubscriber = new ChannelSubscriber(workerSubscriberConnection, logger);
const client = new CommandClient(connection, subscriber, prefix, clientId);
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
let server: CommandServer;

/** How many jobs were ever added to the queue `queueName` (the 'added' entries of its BullMQ events stream). */
async function jobsAdded(queueName: string): Promise<number> {
  const entries = await connection.xrange(`${prefix}:${queueName}:events`, '-', '+');
  return entries.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'added').length;
}

/** Resolves once the worker listens on its command channel (Redis counts one subscriber there). */
const untilListening = () => untilSubscribers(connection, workerCommandChannel(prefix, workerId), 1, TIMEOUT_MS);

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
    server = new CommandServer({
      connection,
      subscriber: workerSubscriber,
      prefix,
      workerId,
      concurrency: 10,
      handlers,
      onError: (error) => served.push(error),
    });
  });

  afterAll(async () => {
    await server.close();
    await client.close();
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length > 0) await connection.del(...keys);
    connection.disconnect();
    subscriberConnection.disconnect();
    workerSubscriberConnection.disconnect();
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

  it('hands a command to a listening worker on its channel, queuing no job, and hears the answer with no SUBSCRIBE of its own', async () => {
    await untilListening();
    const queued = await jobsAdded(workerQueueName(workerId));
    const answer = await client.call(workerId, 'send', { sessionId: 'ses_5', text: 'at once', timeoutMs: 5_000 }, TIMEOUT_MS);
    expect(answer).toEqual({ ...turn, response: 'you said at once' });
    expect(received.at(-1)).toEqual({ name: 'send', args: { sessionId: 'ses_5', text: 'at once', timeoutMs: 5_000 }, aborted: false });
    expect(await jobsAdded(workerQueueName(workerId))).toBe(queued);
    // The replies' pattern only: no channel subscribed for the call, none left behind.
    expect(await subscriptionsOf(connection, subscriberName)).toMatchObject({ sub: 0, psub: 1 });
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
      // It listens on no command channel: the command went to its queue.
      expect(await jobsAdded(workerQueueName('earlier'))).toBe(1);
    } finally {
      await earlier.close();
    }
  });

  it('runs nothing for a message on the command channel that is not a command, and says so', async () => {
    await untilListening();
    const before = received.length;
    const errors = served.length;
    expect(await connection.publish(workerCommandChannel(prefix, workerId), JSON.stringify({ name: 'send' }))).toBe(1);
    // A command published after it is answered: the worker has read the bad message by then (one connection, in order).
    expect(await client.call(workerId, 'deliver_messages', { sessionId: 'ses_6' }, TIMEOUT_MS)).toBeNull();
    expect(received.length).toBe(before);
    expect(served.slice(errors)).toEqual([expect.objectContaining({ message: expect.stringMatching(/without an id and a name/) })]);
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
  new CommandServer({ connection, subscriber, prefix, workerId, concurrency: 1, handlers: withoutKill, onError: () => undefined });
  // @ts-expect-error a handler answering what its command does not
  const wrong: CommandHandlers = { ...handlers, serialize: async () => 42 };
  void wrong;
}
