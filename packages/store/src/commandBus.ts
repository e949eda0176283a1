import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  describeIssues,
  MissionError,
  type ErrorCode,
  type WorkerCommandArgs,
  type WorkerCommandName,
  type WorkerCommandParsedArgs,
  type WorkerCommandResult,
  workerCommands,
} from '@mission/contracts';
import type { ChannelSubscriber } from './channelSubscriber.ts';

/** The queue a worker serves its own sessions' commands from. */
export const workerQueueName = (workerId: string) => `worker-${workerId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

const replyChannel = (prefix: string, id: string) => `${prefix}:reply:${id}`;

/** What the reply channels of one {@link CommandClient} start with: its calls' ids are `<client id>.<random>`. */
export const commandReplyPrefix = (prefix: string, clientId: string) => replyChannel(prefix, `${clientId}.`);

/** The channel a worker takes its commands on at once, while it listens (each a {@link DirectCommand}). */
export const workerCommandChannel = (prefix: string, workerId: string) => `${prefix}:commands:${workerQueueName(workerId)}`;

/** A command published on a worker's command channel: what a job on its queue holds, and the job's id. */
interface DirectCommand {
  id: string;
  name: string;
  data: unknown;
}

/**
 * Request/response to one worker: the command is published on the worker's command channel, which a worker
 * listens to while it runs, or, when no one heard it there (a worker of an earlier version, or one whose
 * subscriber is reconnecting), a job on the worker's own queue, which it serves as well; either way it is run once.
 * The answer comes back on a reply channel the caller subscribed to before sending, under a prefix of its own
 * ({@link commandReplyPrefix}: a subscriber given that prefix hears it with no SUBSCRIBE per call). The commands,
 * their arguments and results are the table `workerCommands` (`@mission/contracts`); on the wire the command's name
 * is the job's name and its arguments the job's data, unchanged, so workers and APIs of different versions mix.
 */
export class CommandClient {
  private readonly queues = new Map<string, Queue>();
  private readonly pending = new Set<(reply: Reply) => void>();

  /**
   * `clientId`: what this client's calls' ids start with, so its replies are under {@link commandReplyPrefix}
   * (give `subscriber` that prefix to hear them without a SUBSCRIBE each).
   */
  constructor(
    private readonly connection: Redis,
    private readonly subscriber: ChannelSubscriber,
    private readonly prefix: string,
    private readonly clientId: string = randomUUID(),
  ) {}

  async call<N extends WorkerCommandName>(
    workerId: string,
    command: N,
    args: WorkerCommandArgs<N>,
    timeoutMs: number,
  ): Promise<WorkerCommandResult<N>> {
    const id = `${this.clientId}.${randomUUID()}`;
    let settle: (reply: Reply | undefined) => void = () => {
      // replaced by the promise's resolve on the next line
    };
    const replied = new Promise<Reply | undefined>((resolve) => (settle = resolve));
    const unsubscribe = await this.subscriber.subscribe(replyChannel(this.prefix, id), (message) => settle(JSON.parse(message) as Reply));
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    this.pending.add(settle);
    try {
      const direct: DirectCommand = { id, name: command, data: args };
      const heard = await this.connection.publish(workerCommandChannel(this.prefix, workerId), JSON.stringify(direct));
      if (heard === 0) await this.queue(workerId).add(command, args, { jobId: id, removeOnComplete: true, removeOnFail: { count: 100 } });
      const reply = await replied;
      if (!reply) throw new MissionError('timeout', `worker ${workerId} did not answer '${command}' within ${timeoutMs} ms`);
      if (!reply.ok) throw new MissionError(reply.error.code, reply.error.message);
      return readResult(workerId, command, reply.value);
    } finally {
      clearTimeout(timer);
      this.pending.delete(settle);
      unsubscribe();
    }
  }

  /** Answers every call still waiting with an `unavailable` error (the caller is shutting down). */
  cancelPending(reason: string): void {
    for (const settle of this.pending) settle({ ok: false, error: { code: 'unavailable', message: reason } });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  private queue(workerId: string): Queue {
    let queue = this.queues.get(workerId);
    if (!queue) {
      queue = new Queue(workerQueueName(workerId), { connection: this.connection, prefix: this.prefix });
      this.queues.set(workerId, queue);
    }
    return queue;
  }
}

/** The result a worker answered, as the table says it is (an answer Mission cannot read is the worker's fault). */
function readResult<N extends WorkerCommandName>(workerId: string, command: N, value: unknown): WorkerCommandResult<N> {
  const parsed = workerCommands[command].result.safeParse(value);
  if (!parsed.success)
    throw new MissionError(
      'internal',
      `worker ${workerId} answered '${command}' with a result Mission cannot read: ${describeIssues(parsed.error.issues)}`,
    );
  return parsed.data as WorkerCommandResult<N>;
}

/** Runs one command on the worker: its arguments as the table checked them; answers its result. */
export type CommandHandler<N extends WorkerCommandName> = (
  args: WorkerCommandParsedArgs<N>,
  signal: AbortSignal,
) => Promise<WorkerCommandResult<N>>;

/** A handler for every command of the table (a command without one does not type-check). */
export type CommandHandlers = { [N in WorkerCommandName]: CommandHandler<N> };

/**
 * Serves a worker's commands, those published on its command channel and those queued on its own queue: checks the
 * data against the arguments of the command it names (a bad argument answers `bad_request`), runs that command's
 * handler and publishes its answer. `concurrency`: the queue's commands run at once (the channel's run as they come).
 */
export class CommandServer {
  private readonly queued: Worker;
  private readonly running = new Set<Promise<void>>();
  private readonly stopListening: Promise<(() => void) | undefined>;
  private closed = false;

  constructor(
    private readonly options: {
      connection: Redis;
      subscriber: ChannelSubscriber;
      prefix: string;
      workerId: string;
      concurrency: number;
      handlers: CommandHandlers;
      onError(error: unknown, command: string): void;
    },
  ) {
    const { connection, prefix } = options;
    this.queued = new Worker(
      workerQueueName(options.workerId),
      (job, _token, signal) => this.answer(job.id!, job.name, job.data, signal ?? new AbortController().signal),
      { connection, prefix, concurrency: options.concurrency },
    );
    // BullMQ reports its own failures (a lost connection, a lock it could not renew) as events: told, not thrown.
    this.queued.on('error', (error) => options.onError(error, 'serving the command queue'));
    // Until Redis confirms it, a command published there is heard by no one: its caller queues it instead.
    this.stopListening = options.subscriber
      .subscribe(workerCommandChannel(prefix, options.workerId), (_message, json) => this.heard(json))
      .catch((error: unknown) => {
        options.onError(error, 'listening on the command channel (commands go through the queue)');
        return undefined;
      });
  }

  /** Stops taking commands; resolves once those under way have answered. */
  async close(): Promise<void> {
    this.closed = true;
    (await this.stopListening)?.();
    await Promise.all([this.queued.close(), ...this.running]);
  }

  private heard(json: () => unknown): void {
    if (this.closed) return;
    let command: DirectCommand;
    try {
      command = directCommand(json());
    } catch (error) {
      this.options.onError(error, 'a message on the command channel');
      return;
    }
    const answering = this.answer(command.id, command.name, command.data, new AbortController().signal).catch((error: unknown) =>
      this.options.onError(error, command.name),
    );
    this.running.add(answering);
    void answering.finally(() => this.running.delete(answering));
  }

  /** Runs one command and publishes its answer on the reply channel of its id. */
  private async answer(id: string, name: string, data: unknown, signal: AbortSignal): Promise<void> {
    let reply: Reply;
    try {
      reply = { ok: true, value: (await run(this.options.handlers, name, data, signal)) ?? null };
    } catch (error) {
      if (!(error instanceof MissionError)) this.options.onError(error, name);
      reply = {
        ok: false,
        error:
          error instanceof MissionError
            ? { code: error.code, message: error.message }
            : { code: 'internal', message: 'the worker failed to run the command' },
      };
    }
    await this.options.connection.publish(replyChannel(this.options.prefix, id), JSON.stringify(reply));
  }
}

/** A message of the command channel as a {@link DirectCommand}; throws when it is not one. */
function directCommand(message: unknown): DirectCommand {
  const { id, name, data } = (message ?? {}) as Partial<DirectCommand>;
  if (typeof id !== 'string' || typeof name !== 'string')
    throw new Error(`a command channel message without an id and a name: ${JSON.stringify(message)}`);
  return { id, name, data };
}

const isCommand = (name: string): name is WorkerCommandName => Object.hasOwn(workerCommands, name);

async function run(handlers: CommandHandlers, name: string, data: unknown, signal: AbortSignal): Promise<unknown> {
  if (!isCommand(name)) throw new MissionError('bad_request', `unknown command '${name}'`);
  const parsed = workerCommands[name].args.safeParse(data);
  if (!parsed.success) throw new MissionError('bad_request', `invalid arguments of '${name}': ${describeIssues(parsed.error.issues)}`);
  return (handlers[name] as CommandHandler<typeof name>)(parsed.data as WorkerCommandParsedArgs<typeof name>, signal);
}
