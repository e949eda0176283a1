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
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { benchPrefix } from './lib/environment.ts';
import { ownCpuMsSince } from './lib/procStat.ts';
import { ms, ratio, report, summarize } from './lib/stats.ts';

/** Calls each way in each round, and rounds (the first of each way not measured: the JIT, the connections). */
const PER_ROUND = 50;
const ROUNDS = process.argv.includes('--full') ? 21 : 9;
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
    await untilListening(connection, workerCommandChannel(prefix, 'listening'));
    const call = (workerId: string) => () => client.call(workerId, 'deliver_messages', { sessionId: 'bench' }, 10_000);
    const ways = { channel: call('listening'), queue: call('queue-only') };
    const measured = await measureInTurn(ways, redis);
    report(
      `Worker command round trip (a command that does nothing; client and workers in this process, the bench's own Redis; ${PER_ROUND * (ROUNDS - 1)} calls each way, in ${ROUNDS - 1} rounds taken in turn after one to warm up)`,
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
        m.redisCommands.toFixed(1),
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

/** Resolves once a subscriber listens on `channel` (Redis counts it). */
async function untilListening(connection: ReturnType<typeof createRedis>, channel: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (((await connection.pubsub('NUMSUB', channel)) as [string, number])[1] < 1)
    if (Date.now() > deadline) throw new Error(`no one listened on ${channel} within 10 s`);
}

interface Measured {
  latency: ReturnType<typeof summarize>;
  cpuMs: number;
  redisCommands: number;
}

/** Each way's calls, PER_ROUND at a time, the ways in turn; the first round of each is not measured. */
async function measureInTurn<K extends string>(ways: Record<K, () => Promise<unknown>>, redis: BenchRedis): Promise<Record<K, Measured>> {
  const names = Object.keys(ways) as K[];
  const latencies = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  const cpu = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  const commands = Object.fromEntries(names.map((name) => [name, 0])) as Record<K, number>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const before = await redis.commands();
      const start = process.cpuUsage();
      const times: number[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const t = performance.now();
        await ways[name]();
        times.push(performance.now() - t);
      }
      const cpuMs = ownCpuMsSince(start);
      // The INFO read after the round counts itself once: left out.
      const issued = (await redis.commands()) - before - 1;
      if (round === 0) continue;
      latencies[name].push(...times);
      cpu[name] += cpuMs;
      commands[name] += issued;
    }
  }
  const calls = PER_ROUND * (ROUNDS - 1);
  return Object.fromEntries(
    names.map((name) => [name, { latency: summarize(latencies[name]), cpuMs: cpu[name] / calls, redisCommands: commands[name] / calls }]),
  ) as Record<K, Measured>;
}
