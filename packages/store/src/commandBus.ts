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

/**
 * Request/response to one worker over BullMQ: the command is a job on the worker's own queue, the
 * answer comes back on a reply channel the caller subscribed to before sending. The commands, their
 * arguments and results are the table `workerCommands` (`@mission/contracts`); on the wire the job's name is
 * the command's name and its data the arguments, unchanged, so workers and APIs of different versions mix.
 */
export class CommandClient {
  private readonly queues = new Map<string, Queue>();
  private readonly pending = new Set<(reply: Reply) => void>();

  constructor(
    private readonly connection: Redis,
    private readonly subscriber: ChannelSubscriber,
    private readonly prefix: string,
  ) {}

  async call<N extends WorkerCommandName>(
    workerId: string,
    command: N,
    args: WorkerCommandArgs<N>,
    timeoutMs: number,
  ): Promise<WorkerCommandResult<N>> {
    const id = randomUUID();
    let settle: (reply: Reply | undefined) => void = () => {
      // replaced by the promise's resolve on the next line
    };
    const replied = new Promise<Reply | undefined>((resolve) => (settle = resolve));
    const unsubscribe = await this.subscriber.subscribe(replyChannel(this.prefix, id), (message) => settle(JSON.parse(message) as Reply));
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    this.pending.add(settle);
    try {
      await this.queue(workerId).add(command, args, { jobId: id, removeOnComplete: true, removeOnFail: { count: 100 } });
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
 * Serves a worker's own queue: checks the job's data against the arguments of the command it names (a bad
 * argument answers `bad_request`), runs that command's handler and publishes its answer.
 */
export function serveCommands(options: {
  connection: Redis;
  prefix: string;
  workerId: string;
  concurrency: number;
  handlers: CommandHandlers;
  onError(error: unknown, command: string): void;
}): Worker {
  const { connection, prefix, handlers } = options;
  return new Worker(
    workerQueueName(options.workerId),
    async (job, _token, signal) => {
      let reply: Reply;
      try {
        reply = { ok: true, value: (await run(handlers, job.name, job.data, signal ?? new AbortController().signal)) ?? null };
      } catch (error) {
        if (!(error instanceof MissionError)) options.onError(error, job.name);
        reply = {
          ok: false,
          error:
            error instanceof MissionError
              ? { code: error.code, message: error.message }
              : { code: 'internal', message: 'the worker failed to run the command' },
        };
      }
      await connection.publish(replyChannel(prefix, job.id!), JSON.stringify(reply));
    },
    { connection, prefix, concurrency: options.concurrency },
  );
}

const isCommand = (name: string): name is WorkerCommandName => Object.hasOwn(workerCommands, name);

async function run(handlers: CommandHandlers, name: string, data: unknown, signal: AbortSignal): Promise<unknown> {
  if (!isCommand(name)) throw new MissionError('bad_request', `unknown command '${name}'`);
  const parsed = workerCommands[name].args.safeParse(data);
  if (!parsed.success) throw new MissionError('bad_request', `invalid arguments of '${name}': ${describeIssues(parsed.error.issues)}`);
  return (handlers[name] as CommandHandler<typeof name>)(parsed.data as WorkerCommandParsedArgs<typeof name>, signal);
}
