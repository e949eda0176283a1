import { randomUUID } from 'node:crypto';
import {
  ChannelSubscriber,
  type CommandHandlers,
  CommandClient,
  CommandServer,
  commandReplyPrefix,
  createLogger,
  createRedis,
  workerCommandChannel,
  workerQueueName,
} from '@mission/store';
import { Worker } from 'bullmq';
import { untilSubscribers } from '../packages/store/src/pubsub.testSupport.ts';
import { startBenchRedis } from './lib/benchRedis.ts';
import { benchPrefix } from './lib/environment.ts';
import { measureInTurn } from './lib/inTurn.ts';
import { ms, ratio, report } from './lib/stats.ts';

/** Calls each way in each round, and rounds measured (after one round each to warm up: the JIT, the connections). */
const PER_ROUND = 50;
const ROUNDS = process.argv.includes('--full') ? 20 : 8;
const logger = createLogger({ level: 'warn', name: 'bench-commands' });

/** Every command answers at once, as `deliver_messages` does: what is measured is the trip, not the command. */
const handlers = new Proxy({} as CommandHandlers, { get: () => async () => null });

/**
 * A worker command's round trip (CommandClient → the worker → its answer, a command that does nothing), the two ways
 * a command reaches its worker: on the worker's command channel, which it listens to while it runs, and through its
 * BullMQ queue, the way to a worker that does not listen there (of an earlier version, or while its subscriber
 * reconnects; before 2026-12-02 every command went so, with a SUBSCRIBE and UNSUBSCRIBE of its reply channel, which
 * it no longer needs). Same client, same Redis (the bench's own), client and workers in this process, taken in turn.
 */
export async function benchCommands(): Promise<void> {
  const redis = await startBenchRedis();
  const prefix = benchPrefix('commands');
  const clientId = randomUUID();
  const connection = createRedis(redis.url, 'bench-commands');
  const apiSubscriber = new ChannelSubscriber(createRedis(redis.url, 'bench-commands-api-sub'), logger, {
    prefixes: [commandReplyPrefix(prefix, clientId)],
  });
  const workerSubscriber = new ChannelSubscriber(createRedis(redis.url, 'bench-commands-worker-sub'), logger);
  const client = new CommandClient(connection, apiSubscriber, prefix, clientId);
  const onError = (error: unknown) => logger.error({ err: error }, 'a benchmark command failed');
  const listening = new CommandServer({
    connection,
    subscriber: workerSubscriber,
    prefix,
    workerId: 'listening',
    concurrency: 1_000,
    handlers,
    onError,
  });
  // A worker that serves its queue only, answering as every worker does (`{ ok, value }` on the job's reply channel).
  const queueOnly = new Worker(
    workerQueueName('queue-only'),
    async (job) => void (await connection.publish(`${prefix}:reply:${job.id}`, JSON.stringify({ ok: true, value: null }))),
    { connection, prefix, concurrency: 1_000 },
  );
  try {
    await untilSubscribers(connection, workerCommandChannel(prefix, 'listening'), 1, 10_000);
    const call = (workerId: string) => () => client.call(workerId, 'deliver_messages', { sessionId: 'bench' }, 10_000);
    const ways = { channel: call('listening'), queue: call('queue-only') };
    // Redis's commands around each round, less the INFO that reads them (counted once a reading).
    const measured = await measureInTurn(ways, {
      perRound: PER_ROUND,
      rounds: ROUNDS,
      count: { read: () => redis.commands(), perReading: 1 },
    });
    report(
      `Worker command round trip (a command that does nothing; client and workers in this process, the bench's own Redis; ${PER_ROUND * ROUNDS} calls each way, in ${ROUNDS} rounds taken in turn after one to warm up)`,
      ['way', 'p50', 'p99', 'CPU per call (this process)', 'Redis commands per call', 'p50 vs the queue'],
      (
        [
          ["on the worker's command channel (a worker listening there: this version's)", measured.channel],
          ["through the worker's queue (a worker not listening there)", measured.queue],
        ] as const
      ).map(([way, m]) => [
        way,
        ms(m.latency.p50),
        ms(m.latency.p99),
        ms(m.cpuMs),
        m.counted.toFixed(1),
        ratio(m.latency.p50, measured.queue.latency.p50),
      ]),
    );
  } finally {
    await listening.close();
    await queueOnly.close();
    await client.close();
    apiSubscriber.disconnect();
    workerSubscriber.disconnect();
    connection.disconnect();
    await redis.stop();
  }
}
