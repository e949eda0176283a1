import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { channels } from '@mission/store';
import { readSse, type SseMessage } from '../tests/support/sse.ts';
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { benchPrefix } from './lib/environment.ts';
import { forkScript, readyMessage } from './lib/forkScript.ts';
import { type MissionProcesses, startMissionProcesses } from './lib/missionProcesses.ts';
import { ProcessMeter } from './lib/procStat.ts';
import { observePublishes } from './lib/publishObserver.ts';
import { openSse } from './lib/sseClient.ts';
import { ms, ratio, report, summarize, type LatencySummary } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';

/**
 * SUBSCRIBERS Server-Sent-Events streams on one owner while an agent writes MESSAGES lines GAP_MS apart: Mission's
 * `GET /v1/tasks/:id/events` (API and worker in processes of their own) against a raw relay — one Redis subscription
 * written to every open response — in the same shape: on both sides the same chatty agent writes the lines and a
 * process of its own turns each into a published event (Mission's worker: parse, store, publish; the raw side's
 * rawAgentPublisher: publish), so both relays serve while an agent and its reader run beside them. The compared
 * latency is from the moment a subscription of the bench's own sees the message on Redis to a client reading it, for
 * both sides: the relay's path. Mission's is also given from the event's stored timestamp (its worker's insert and
 * publish come before the relay's part), and the raw side's from just before its PUBLISH. CPU is the serving
 * process's, per 1,000 deliveries. Each side is measured in ROUNDS rounds, taken in turn (raw, Mission, Mission, raw),
 * so both meet the same moments of a shared machine: a p99 is made of the few slowest deliveries, and with each side
 * measured once, one after the other, the ratio read 0.70–2.36× in runs whose serving CPU was the same (0.94–1.07×).
 * Each round starts with WARMUP_EVENTS events left out of the compared figures: on both sides the slowest deliveries of
 * a round were its first few events (a thousand idle streams and their reader waking at once, the agent starting to
 * write), one event is a thousand deliveries, so those few made the p99 of the whole run by themselves. The p99 with
 * them is printed too.
 */
const FULL = process.argv.includes('--full');
const SUBSCRIBERS = Number(process.env.BENCH_FANOUT_SUBSCRIBERS ?? 1_000);
const MESSAGES = FULL ? 500 : 100;
const GAP_MS = 20;
const ROUNDS = 2;
/** The events of a round compared: MESSAGES in all on each side. */
const MESSAGES_PER_ROUND = MESSAGES / ROUNDS;
/** The events that start each round, not compared. */
const WARMUP_EVENTS = 10;

const chattyAgent = fileURLToPath(new URL('./chatty-agent.sh', import.meta.url));
const rawRelayScript = fileURLToPath(new URL('./lib/rawRelay.ts', import.meta.url));
const rawAgentPublisherScript = fileURLToPath(new URL('./lib/rawAgentPublisher.ts', import.meta.url));

interface FanOutResult {
  /** From the message seen on Redis to a client reading it (each round's warm-up events left out). */
  latency: LatencySummary;
  /** The same with every event. */
  latencyWithWarmup: LatencySummary;
  /** From the side's own timestamp (Mission: stored; relay: before PUBLISH) to a client reading it. */
  fromOrigin: LatencySummary;
  /** From the side's own timestamp to the message seen on Redis, once per message. */
  publishedAfterOrigin: LatencySummary;
  /** CPU ms of the serving process per 1,000 deliveries. */
  cpuPerThousand: number;
}

/** An event a client read: its seq, its side's own timestamp and when it was read (ms since the epoch). */
interface Delivery {
  seq: number;
  origin: number;
  received: number;
}

/** Opens SUBSCRIBERS streams, calls `go` once all are open, and collects each event's delay until every stream ends. */
async function subscribeAll(
  url: string,
  headers: Record<string, string>,
  timed: (data: string) => { seq: number; origin: number } | undefined,
  go: () => Promise<void>,
  /** Whether a stream has caught up with this message (read every event stored before `go`); unset: once open. */
  caughtUp?: (message: SseMessage) => boolean,
): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  const responses = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => openSse(url, headers)));
  for (const res of responses) if (res.status !== 200) throw new Error(`subscribing answered ${res.status}`);
  const caughtUpAll: Promise<void>[] = [];
  const reading = Promise.all(
    responses.map((res) => {
      const { promise, resolve: onCaughtUp } = Promise.withResolvers<void>();
      caughtUpAll.push(promise);
      if (!caughtUp) onCaughtUp();
      return res.read((message) => {
        if (caughtUp?.(message)) onCaughtUp();
        const received = Date.now();
        const event = timed(message.data);
        if (event) deliveries.push({ ...event, received });
        return message.event === 'end';
      });
    }),
  );
  // Both sides are timed with every subscriber live: Mission's streams first replay what was stored (a query each).
  await Promise.all(caughtUpAll);
  await go();
  await reading;
  return deliveries;
}

/** What one round of one side measured. */
interface Round {
  deliveries: Delivery[];
  /** When each message of the round was seen on Redis, by seq. */
  seenOnRedis: Map<number, number>;
  /** CPU ms the serving process used in the round. */
  cpuUsed: number;
}

/** The raw side: one relay process for every round; each round forks a publisher that runs the chatty agent once. */
async function startRawRelay(redis: BenchRedis) {
  const channel = benchPrefix('fanout');
  const relay = forkScript(rawRelayScript, { RELAY_REDIS_URL: redis.url, RELAY_CHANNEL: channel });
  const { port } = await readyMessage<{ port: number }>(relay);
  return {
    async round(): Promise<Round> {
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-fanout-raw-'));
      const goFile = path.join(scratch, 'go');
      const source = forkScript(rawAgentPublisherScript, {
        RAW_REDIS_URL: redis.url,
        RAW_CHANNEL: channel,
        RAW_AGENT: chattyAgent,
        ...chattyEnv(goFile),
      });
      await readyMessage(source);
      const round = await measureRound({
        url: `http://127.0.0.1:${port}/stream`,
        headers: {},
        timed: (data) => {
          const event = JSON.parse(data) as { at: string; seq: number };
          return { seq: event.seq, origin: Date.parse(event.at) };
        },
        observer: await observePublishes(redis.url, channel),
        servingPid: relay.pid!,
        goFile,
      });
      fs.rmSync(scratch, { recursive: true, force: true });
      return round;
    },
    stop: () => relay.disconnect(),
  };
}

/** The chatty agent's settings (both sides): it starts talking once `goFile` exists. */
function chattyEnv(goFile: string): Record<string, string> {
  return { CHATTY_GO: goFile, CHATTY_MESSAGES: String(WARMUP_EVENTS + MESSAGES_PER_ROUND), CHATTY_GAP: String(GAP_MS / 1000) };
}

/** Mission's API and worker processes for the fan-out, with the chatty agent as their claude binary. */
const startMission = (redis: BenchRedis) => startMissionProcesses(redis.url, { MISSION_CLAUDE_BIN: chattyAgent });

/** One round of Mission's side: a task of the chatty agent, its events streamed to every subscriber. */
async function missionRound(redis: BenchRedis, system: MissionProcesses): Promise<Round> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-fanout-'));
  fs.chmodSync(scratch, 0o755); // the agent may run as a user of its own
  const goFile = path.join(scratch, 'go');
  const slot = await fetch(`${system.url}/v1/slots/chatty`, {
    method: 'PUT',
    headers: system.headers,
    body: JSON.stringify({
      cwd: scratch,
      env: chattyEnv(goFile),
    }),
  });
  if (!slot.ok) throw new Error(`creating the slot answered ${slot.status}: ${await slot.text()}`);
  const submitted = await fetch(`${system.url}/v1/tasks`, {
    method: 'POST',
    headers: system.headers,
    body: JSON.stringify({ slot: 'chatty', prompt: 'talk' }),
  });
  const { id } = (await submitted.json()) as { id: string };
  const observer = await observePublishes(redis.url, channels(system.queuePrefix).events('task', id));
  // The agent waits for the go file after its init line: what is stored by then is what each stream replays.
  const storedBeforeGo = await lastStoredSeq(system, id);
  const round = await measureRound({
    url: `${system.url}/v1/tasks/${id}/events`,
    headers: system.headers,
    timed: (data) => {
      const event = JSON.parse(data) as { type?: string; at?: string; seq: number };
      return event.type === 'assistant_message' ? { seq: event.seq, origin: Date.parse(event.at!) } : undefined;
    },
    observer,
    servingPid: system.api.pid!,
    goFile,
    caughtUp: (message) => message.id === String(storedBeforeGo),
  });
  fs.rmSync(scratch, { recursive: true, force: true });
  return round;
}

/**
 * One round of either side once its agent waits for `goFile`: every subscriber's stream (`subscribeAll`), the go
 * given once all are open (or caught up), the serving process's CPU counted from then, and when `observer` saw each
 * message on Redis.
 */
async function measureRound(options: {
  url: string;
  headers: Record<string, string>;
  timed: (data: string) => { seq: number; origin: number } | undefined;
  observer: Awaited<ReturnType<typeof observePublishes>>;
  servingPid: number;
  goFile: string;
  caughtUp?: (message: SseMessage) => boolean;
}): Promise<Round> {
  const cpu = new ProcessMeter();
  const go = async () => {
    cpu.track(options.servingPid);
    fs.writeFileSync(options.goFile, '');
  };
  const deliveries = await subscribeAll(options.url, options.headers, options.timed, go, options.caughtUp);
  const cpuUsed = cpu.used();
  return { deliveries, seenOnRedis: await options.observer.stop(), cpuUsed };
}

/** The seq of the task's last event once its agent is waiting for the go file (its `running` state stored). */
async function lastStoredSeq(system: { url: string; headers: Record<string, string> }, id: string): Promise<number> {
  for (;;) {
    const messages = await readSse(await fetch(`${system.url}/v1/tasks/${id}/events?follow=false`, { headers: system.headers }));
    const states = messages
      .filter((m) => m.event === 'state')
      .map((m) => (JSON.parse(m.data) as { payload: { state: string } }).payload.state);
    if (states.includes('running')) return Number(messages.filter((m) => m.id).at(-1)!.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A side's figures over all its rounds; each round's first WARMUP_EVENTS events count only in `latencyWithWarmup`. */
function resultOf(rounds: readonly Round[]): FanOutResult {
  const timed = rounds.map(({ deliveries, seenOnRedis }) => {
    const origins = new Map(deliveries.map(({ seq, origin }) => [seq, origin]));
    const compared = new Set([...origins.keys()].sort((a, b) => a - b).slice(WARMUP_EVENTS));
    return {
      deliveries: deliveries.map(({ seq, origin, received }) => ({
        compared: compared.has(seq),
        fromRedis: received - seenOnRedis.get(seq)!,
        fromOrigin: received - origin,
      })),
      publishedAfterOrigin: [...compared].map((seq) => seenOnRedis.get(seq)! - origins.get(seq)!),
    };
  });
  const all = timed.flatMap(({ deliveries }) => deliveries);
  const compared = all.filter((delivery) => delivery.compared);
  const cpuUsed = rounds.reduce((sum, round) => sum + round.cpuUsed, 0);
  return {
    latency: summarize(compared.map(({ fromRedis }) => fromRedis)),
    latencyWithWarmup: summarize(all.map(({ fromRedis }) => fromRedis)),
    fromOrigin: summarize(compared.map(({ fromOrigin }) => fromOrigin)),
    publishedAfterOrigin: summarize(timed.flatMap(({ publishedAfterOrigin }) => publishedAfterOrigin)),
    cpuPerThousand: (cpuUsed / all.length) * 1000,
  };
}

export async function benchFanOut(): Promise<void> {
  const redis = await startBenchRedis();
  try {
    const [relay, system] = await Promise.all([startRawRelay(redis), startMission(redis)]);
    const rawRounds: Round[] = [];
    const missionRounds: Round[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const sides = [async () => rawRounds.push(await relay.round()), async () => missionRounds.push(await missionRound(redis, system))];
        // raw first in even rounds, Mission first in odd ones
        if (round % 2 === 1) sides.reverse();
        for (const side of sides) await side();
      }
    } finally {
      relay.stop();
      await system.stopProcesses();
      await system.cleanUp();
    }
    const raw = resultOf(rawRounds);
    const ours = resultOf(missionRounds);
    readGoal(goals.fanOut, ours.latency.p99 / raw.latency.p99);
    /** A table row: its latency's p50, p99 and count, then the CPU, p99-ratio and CPU-ratio columns (blank unless given). */
    const row = (label: string, latency: LatencySummary, rest: [string, string, string] = ['', '', '']) => [
      label,
      ms(latency.p50),
      ms(latency.p99),
      String(latency.n),
      ...rest,
    ];
    report(
      `Fan-out: ${SUBSCRIBERS.toLocaleString('en')} SSE subscribers on one stream, ${MESSAGES} events ${GAP_MS} ms apart on each side (after ${WARMUP_EVENTS} more to start each round), in ${ROUNDS} rounds a side taken in turn`,
      ['path', 'p50', 'p99', 'deliveries', 'server CPU per 1,000 deliveries', 'p99 vs raw', 'CPU vs raw'],
      [
        row('raw relay: seen on Redis → every SSE response', raw.latency, [ms(raw.cpuPerThousand), '1.00×', '1.00×']),
        row('Mission: seen on Redis → GET /v1/tasks/:id/events', ours.latency, [
          ms(ours.cpuPerThousand),
          ratio(ours.latency.p99, raw.latency.p99),
          ratio(ours.cpuPerThousand, raw.cpuPerThousand),
        ]),
        row('Mission: event stored → seen on Redis (worker insert + publish), per event', ours.publishedAfterOrigin),
        row('raw: before PUBLISH → seen on Redis, per event', raw.publishedAfterOrigin),
        row(`raw relay, seen on Redis → SSE, each round's first ${WARMUP_EVENTS} events included`, raw.latencyWithWarmup),
        row(`Mission, seen on Redis → SSE, each round's first ${WARMUP_EVENTS} events included`, ours.latencyWithWarmup, [
          '',
          ratio(ours.latencyWithWarmup.p99, raw.latencyWithWarmup.p99),
          '',
        ]),
        row('raw relay, from before its PUBLISH', raw.fromOrigin),
        row('Mission, from the event stored (worker insert + publish, then the relay)', ours.fromOrigin, [
          '',
          ratio(ours.fromOrigin.p99, raw.fromOrigin.p99),
          '',
        ]),
      ],
    );
  } finally {
    await redis.stop();
  }
}
