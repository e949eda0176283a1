import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { channels } from '@mission/store';
import { readSse, type SseMessage } from '../tests/support/sse.ts';
import { type BenchRedis, startBenchRedis } from './lib/benchRedis.ts';
import { benchPrefix } from './lib/environment.ts';
import { forkScript } from './lib/forkScript.ts';
import { type MissionProcesses, startMissionProcesses } from './lib/missionProcesses.ts';
import { ProcessMeter } from './lib/procStat.ts';
import { observePublishes } from './lib/publishObserver.ts';
import { openSse } from './lib/sseClient.ts';
import { ms, ratio, report, summarize, type LatencySummary } from './lib/stats.ts';

/**
 * SUBSCRIBERS Server-Sent-Events streams on one owner while an agent writes MESSAGES lines GAP_MS apart: Mission's
 * `GET /v1/tasks/:id/events` (API and worker in processes of their own) against a raw relay — one Redis subscription
 * written to every open response — in the same shape: on both sides the same chatty agent writes the lines and a
 * process of its own turns each into a published event (Mission's worker: parse, store, publish; the raw side's
 * rawAgentPublisher: publish), so both relays serve while an agent and its reader run beside them. The compared
 * latency is from the moment a subscription of the bench's own sees the message on Redis to a client reading it, for
 * both sides: the relay's path. Mission's is also given from the event's stored timestamp (its worker's insert and
 * publish come before the relay's part), and the raw side's from just before its PUBLISH. CPU is the serving
 * process's, per 1,000 deliveries.
 */
const FULL = process.argv.includes('--full');
const SUBSCRIBERS = Number(process.env.BENCH_FANOUT_SUBSCRIBERS ?? 1_000);
const MESSAGES = FULL ? 500 : 100;
const GAP_MS = 20;

const chattyAgent = fileURLToPath(new URL('./chatty-agent.sh', import.meta.url));
const rawRelayScript = fileURLToPath(new URL('./lib/rawRelay.ts', import.meta.url));
const rawAgentPublisherScript = fileURLToPath(new URL('./lib/rawAgentPublisher.ts', import.meta.url));

interface FanOutResult {
  /** From the message seen on Redis to a client reading it. */
  latency: LatencySummary;
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

/** The raw relay's side; its subscribers open meanwhile, then it waits for `idle` (Mission started) before it is timed. */
async function rawRelay(redis: BenchRedis, idle: Promise<unknown>): Promise<FanOutResult> {
  const channel = benchPrefix('fanout');
  const relay = forkScript(rawRelayScript, { RELAY_REDIS_URL: redis.url, RELAY_CHANNEL: channel });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    relay.once('message', (message) => resolve(message as { port: number })),
  );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-fanout-raw-'));
  const goFile = path.join(scratch, 'go');
  const source = forkScript(rawAgentPublisherScript, {
    RAW_REDIS_URL: redis.url,
    RAW_CHANNEL: channel,
    RAW_AGENT: chattyAgent,
    ...chattyEnv(goFile),
  });
  await new Promise((resolve) => source.once('message', resolve));
  const observer = await observePublishes(redis.url, channel);
  const cpu = new ProcessMeter();
  const deliveries = await subscribeAll(
    `http://127.0.0.1:${port}/stream`,
    {},
    (data) => {
      const event = JSON.parse(data) as { at: string; seq: number };
      return { seq: event.seq, origin: Date.parse(event.at) };
    },
    async () => {
      await idle;
      cpu.track(relay.pid!);
      fs.writeFileSync(goFile, '');
    },
  );
  const used = cpu.used();
  const seen = await observer.stop();
  relay.disconnect();
  fs.rmSync(scratch, { recursive: true, force: true });
  return resultOf(deliveries, seen, used);
}

/** The chatty agent's settings (both sides): it starts talking once `goFile` exists. */
function chattyEnv(goFile: string): Record<string, string> {
  return { CHATTY_GO: goFile, CHATTY_MESSAGES: String(MESSAGES), CHATTY_GAP: String(GAP_MS / 1000) };
}

/** Mission's API and worker processes for the fan-out, with the chatty agent as their claude binary. */
const startMission = (redis: BenchRedis) => startMissionProcesses(redis.url, { MISSION_CLAUDE_BIN: chattyAgent });

async function mission(redis: BenchRedis, system: MissionProcesses): Promise<FanOutResult> {
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
  const cpu = new ProcessMeter();
  const deliveries = await subscribeAll(
    `${system.url}/v1/tasks/${id}/events`,
    system.headers,
    (data) => {
      const event = JSON.parse(data) as { type?: string; at?: string; seq: number };
      return event.type === 'assistant_message' ? { seq: event.seq, origin: Date.parse(event.at!) } : undefined;
    },
    async () => {
      cpu.track(system.api.pid!);
      fs.writeFileSync(goFile, '');
    },
    (message) => message.id === String(storedBeforeGo),
  );
  const used = cpu.used();
  const seen = await observer.stop();
  await system.stopProcesses();
  await system.cleanUp();
  fs.rmSync(scratch, { recursive: true, force: true });
  return resultOf(deliveries, seen, used);
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

function resultOf(deliveries: Delivery[], seenOnRedis: Map<number, number>, cpuUsed: number): FanOutResult {
  return {
    latency: summarize(deliveries.map(({ seq, received }) => received - seenOnRedis.get(seq)!)),
    fromOrigin: summarize(deliveries.map(({ origin, received }) => received - origin)),
    publishedAfterOrigin: summarize([...new Map(deliveries.map(({ seq, origin }) => [seq, seenOnRedis.get(seq)! - origin])).values()]),
    cpuPerThousand: (cpuUsed / deliveries.length) * 1000,
  };
}

export async function benchFanOut(): Promise<void> {
  const redis = await startBenchRedis();
  try {
    // Mission's processes take seconds to load their modules: they start while the raw relay's subscribers connect,
    // and are up and idle (no task yet) when the relay is timed.
    const missionStarting = startMission(redis);
    const raw = await rawRelay(redis, missionStarting);
    const ours = await mission(redis, await missionStarting);
    report(
      `Fan-out: ${SUBSCRIBERS.toLocaleString('en')} SSE subscribers on one stream, ${MESSAGES} events ${GAP_MS} ms apart`,
      ['path', 'p50', 'p99', 'deliveries', 'server CPU per 1,000 deliveries', 'p99 vs raw', 'CPU vs raw'],
      [
        [
          'raw relay: seen on Redis → every SSE response',
          ms(raw.latency.p50),
          ms(raw.latency.p99),
          String(raw.latency.n),
          ms(raw.cpuPerThousand),
          '1.00×',
          '1.00×',
        ],
        [
          'Mission: seen on Redis → GET /v1/tasks/:id/events',
          ms(ours.latency.p50),
          ms(ours.latency.p99),
          String(ours.latency.n),
          ms(ours.cpuPerThousand),
          ratio(ours.latency.p99, raw.latency.p99),
          ratio(ours.cpuPerThousand, raw.cpuPerThousand),
        ],
        [
          'Mission: event stored → seen on Redis (worker insert + publish), per event',
          ms(ours.publishedAfterOrigin.p50),
          ms(ours.publishedAfterOrigin.p99),
          String(ours.publishedAfterOrigin.n),
          '',
          '',
          '',
        ],
        [
          'raw: before PUBLISH → seen on Redis, per event',
          ms(raw.publishedAfterOrigin.p50),
          ms(raw.publishedAfterOrigin.p99),
          String(raw.publishedAfterOrigin.n),
          '',
          '',
          '',
        ],
        ['raw relay, from before its PUBLISH', ms(raw.fromOrigin.p50), ms(raw.fromOrigin.p99), String(raw.fromOrigin.n), '', '', ''],
        [
          'Mission, from the event stored (worker insert + publish, then the relay)',
          ms(ours.fromOrigin.p50),
          ms(ours.fromOrigin.p99),
          String(ours.fromOrigin.n),
          '',
          ratio(ours.fromOrigin.p99, raw.fromOrigin.p99),
          '',
        ],
      ],
    );
  } finally {
    await redis.stop();
  }
}
