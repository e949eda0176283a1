import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { MissionError, type ErrorCode } from '@mission/contracts';
import type { ChannelSubscriber } from './channelSubscriber.ts';

/** The queue a worker serves its own sessions' commands from. */
export const workerQueueName = (workerId: string) => `worker-${workerId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

type Reply = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

const replyChannel = (prefix: string, id: string) => `${prefix}:reply:${id}`;

/**
 * Request/response to one worker over BullMQ: the command is a job on the worker's own queue, the
 * answer comes back on a reply channel the caller subscribed to before sending.
 */
export class CommandClient {
  private readonly queues = new Map<string, Queue>();
  private readonly pending = new Set<(reply: Reply) => void>();

  constructor(
    private readonly connection: Redis,
    private readonly subscriber: ChannelSubscriber,
    private readonly prefix: string,
  ) {}

  async call<T>(workerId: string, command: string, data: Record<string, unknown>, timeoutMs: number): Promise<T> {
    const id = randomUUID();
    let settle: (reply: Reply | undefined) => void = () => {
      // replaced by the promise's resolve on the next line
    };
    const replied = new Promise<Reply | undefined>((resolve) => (settle = resolve));
    const unsubscribe = await this.subscriber.subscribe(replyChannel(this.prefix, id), (message) => settle(JSON.parse(message) as Reply));
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    this.pending.add(settle);
    try {
      await this.queue(workerId).add(command, data, { jobId: id, removeOnComplete: true, removeOnFail: { count: 100 } });
      const reply = await replied;
      if (!reply) throw new MissionError('timeout', `worker ${workerId} did not answer '${command}' within ${timeoutMs} ms`);
      if (!reply.ok) throw new MissionError(reply.error.code, reply.error.message);
      return reply.value as T;
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

export type CommandHandler = (data: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;

/** Serves a worker's own queue: runs the handler named by the job and publishes its answer. */
export function serveCommands(options: {
  connection: Redis;
  prefix: string;
  workerId: string;
  concurrency: number;
  handlers: Record<string, CommandHandler>;
  onError(error: unknown, command: string): void;
}): Worker {
  const { connection, prefix, handlers } = options;
  return new Worker(
    workerQueueName(options.workerId),
    async (job, _token, signal) => {
      const handler = handlers[job.name];
      let reply: Reply;
      try {
        if (!handler) throw new MissionError('bad_request', `unknown command '${job.name}'`);
        reply = { ok: true, value: (await handler(job.data as Record<string, unknown>, signal ?? new AbortController().signal)) ?? null };
      } catch (error) {
        if (!(error instanceof MissionError)) options.onError(error, job.name);
        reply = {
          ok: false,
          error: error instanceof MissionError ? { code: error.code, message: error.message } : { code: 'internal', message: 'the worker failed to run the command' },
        };
      }
      await connection.publish(replyChannel(prefix, job.id!), JSON.stringify(reply));
    },
    { connection, prefix, concurrency: options.concurrency },
  );
}
