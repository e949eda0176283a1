import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Session, SessionTurn } from '@mission/contracts';
import { createLogger } from '@mission/store';
import { hookSettings, NO_DECISION, PtySession, Spawner } from '@mission/worker';
import { CLAUDE_BIN, prepareClaudeHome } from '../tests/support/claudeEnv.ts';
import { startStubAnthropic, type StubAnthropic } from '../tests/support/stubAnthropic.ts';
import { ms, ratio, report, summarize, timeIt } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';
import { benchRedisUrl } from './lib/environment.ts';
import { startMissionProcesses } from './lib/missionProcesses.ts';
import { processesIn, untilQuiet, waitUntil } from '../tests/support/processes.ts';
import { readSse } from '../tests/support/sse.ts';
import { type BenchSystem, startBenchSystem } from './lib/system.ts';

const FULL = process.argv.includes('--full');
/**
 * Sessions started at once in one worker (BENCH_SESSIONS, at most 200; 10, or 50 with `--full`): with fewer, a
 * session's share of the worker's memory is within the collector's noise (5 read 0.01 MiB of heap each).
 */
const FLEET = Math.min(200, Number(process.env.BENCH_SESSIONS ?? (FULL ? 50 : 10)));
/**
 * Sends measured on each side (20, 40 with `--full`), after {@link WARMUP_SENDS} that are not: with 10, the p50 ratio
 * against the raw PTY read from 1.06× to 1.33× over the runs on record, the goal's verdict turning with the noise.
 */
const SEND_RUNS = FULL ? 40 : 20;
/** How often the API is asked whether sessions are up (a wait, not a measure). */
const POLL_MS = 200;
/** Sends of each side first, not measured: the JIT, and the first use of each statement on each pooled connection. */
const WARMUP_SENDS = 2;
/**
 * Each send of either side starts once the claude processes and Mission have used no CPU for this long. Back to back,
 * each side's start met the other's tail (a claude's last render and transcript writes; Mission's also its worker
 * reading that render and storing the turn's events): not the same moments for both, since Mission's tail is longer.
 */
const QUIET_MS = 100;
const SPAWN_WAVE = 10;

/**
 * Where a send's time went, from the times its events were stored: POST → the prompt taken (the
 * UserPromptSubmit hook's user_message, stored with → working), → the reply (the assistant_message of the
 * reply Stop carried, stored with → idle), → the answer at the client.
 */
function sendPhases(
  events: { type: string; at: string; payload: Record<string, unknown> }[],
  sent: { i: number; start: number; end: number }[],
) {
  const at = (type: string, text: string) => {
    const event = events.find((e) => e.type === type && e.payload.text === text);
    return event ? Date.parse(event.at) : NaN;
  };
  const submit: number[] = [];
  const model: number[] = [];
  const finish: number[] = [];
  sent.forEach(({ i, start, end }) => {
    const taken = at('user_message', `ping ${i}`);
    const replied = at('assistant_message', `pong ping ${i}`);
    if (Number.isNaN(taken) || Number.isNaN(replied)) return;
    submit.push(taken - start);
    model.push(replied - taken);
    finish.push(end - replied);
  });
  return { submit: summarize(submit), model: summarize(model), finish: summarize(finish) };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
/**
 * The process's memory after two full collections a turn apart: the buffers of objects collected by the first are
 * released only after it (one collection left garbage of earlier benches counted, and buffers per session read
 * negative).
 */
const memory = async () => {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage();
};

/** Resolves once the terminal's screen shows every one of `parts`, checked after each render. */
function screenShows(pty: PtySession, parts: string[], timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const text = pty.screen().lines.join('\n');
      if (!parts.every((part) => text.includes(part))) return;
      stop();
      clearTimeout(timer);
      resolve();
    };
    const stop = pty.onRender(check);
    const timer = setTimeout(() => (stop(), reject(new Error(`the raw screen never showed ${parts.join(', ')}`))), timeoutMs);
    check();
  });
}

/**
 * Raw PTY + xterm + claude, started once the prompt is up: `send` types a prompt (`<label> ping <i>`) and times
 * until the reply is on the screen and the prompt is back, or, given `hooks`, until the CLI's Stop hook call for
 * the reply reaches them (the moment Mission's turn ends; the screen is then waited for, untimed).
 */
async function rawClaude(env: Record<string, string>, cwd: string, label: string, hooks?: BareHookEndpoint) {
  const spawner = new Spawner(createLogger({ level: 'warn', name: 'bench-spawner' }));
  const args = ['--verbose', ...(hooks?.args ?? [])];
  const pty = new PtySession({ spawner, bin: CLAUDE_BIN, args, cwd, env, cols: 120, rows: 40 });
  await screenShows(pty, ['? for shortcuts']);
  return {
    async send(i: number): Promise<number> {
      const prompt = `${label} ping ${i}`;
      const shown = [`● pong ${prompt}`, '? for shortcuts'];
      const { ms: took } = await timeIt(async () => {
        // Enter once the CLI shows the paste, as Mission's typePrompt does (read with the paste, it would be part of it).
        pty.write(`\x1b[200~${prompt}\x1b[201~`);
        await screenShows(pty, [prompt]);
        const stopped = hooks?.stopCarrying(`pong ${prompt}`);
        pty.write('\r');
        await (stopped ?? screenShows(pty, shown));
      });
      if (hooks) await screenShows(pty, shown);
      return took;
    },
    async close() {
      await pty.kill();
      pty.dispose();
      await spawner.close();
    },
  };
}

type RawClaude = Awaited<ReturnType<typeof rawClaude>>;
type BareHookEndpoint = Awaited<ReturnType<typeof bareHookEndpoint>>;

/**
 * A hook endpoint that answers every call at once with what Mission's worker answers a hook it lets go on
 * ({@link NO_DECISION}), and the `--settings` argument that gives a claude Mission's own hooks pointed at it
 * (`hookSettings`, as the worker starts a session): what the CLI's calls of its hooks cost it, with nothing of
 * Mission's. `stopCarrying(reply)` resolves when a Stop call carrying `reply` arrives.
 */
async function bareHookEndpoint() {
  const answer = JSON.stringify(NO_DECISION);
  const stops = new Map<string, () => void>();
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.once('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
      const input = JSON.parse(body) as { hook_event_name?: string; last_assistant_message?: string };
      if (input.hook_event_name === 'Stop') stops.get(input.last_assistant_message ?? '')?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const settings = hookSettings({ url: `http://127.0.0.1:${port}/hooks/bench` }, 15 * 60_000);
  return {
    args: ['--settings', JSON.stringify(settings)],
    stopCarrying(reply: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => (stops.delete(reply), reject(new Error(`no Stop hook call carried ${reply}`))), 30_000);
        stops.set(reply, () => (clearTimeout(timer), stops.delete(reply), resolve()));
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Claude home for the stub API, and a working folder it trusts; `remove` takes both away. */
function claudeWorkplace(stub: StubAnthropic) {
  const workdir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-bench-sessions-')));
  const claude = prepareClaudeHome({ apiUrl: stub.url, trustedDirs: [workdir] });
  return {
    workdir,
    env: claude.env,
    remove() {
      claude.remove();
      fs.rmSync(workdir, { recursive: true, force: true });
    },
  };
}

/** POSTs (or PUTs) JSON to a Mission API with `headers`; a status other than 2xx fails. */
async function call<T>(url: string, headers: Record<string, string>, route: string, body: unknown, method = 'POST'): Promise<T> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The stored events of a session (GET /v1/sessions/:id/events without following). */
async function storedEvents(url: string, headers: Record<string, string>, sessionId: string) {
  const response = await fetch(`${url}/v1/sessions/${sessionId}/events?follow=false`, { headers });
  if (response.status !== 200) throw new Error(`the events of session ${sessionId} answered ${response.status}`);
  return (await readSse(response))
    .filter((message) => message.data)
    .map((message) => JSON.parse(message.data) as { type: string; at: string; payload: Record<string, unknown> });
}

/**
 * Send → reply through Mission as deployed (API and worker in processes of their own), typed into a raw claude in
 * this process, and typed into a raw claude with Mission's hooks answered at once, until its Stop call arrives
 * ({@link bareHookEndpoint}: the CLI's own cost of calling them, and the moment Mission's turn ends): one of each
 * in turn, so that all sides meet the same moments of a shared machine, each once the others' work is over
 * ({@link QUIET_MS}).
 */
async function sendToReply(stub: StubAnthropic) {
  const place = claudeWorkplace(stub);
  const mission = await startMissionProcesses(benchRedisUrl, { MISSION_CLAUDE_BIN: CLAUDE_BIN });
  const post = <T>(route: string, body: unknown) => call<T>(mission.url, mission.headers, route, body);
  const hookEndpoint = await bareHookEndpoint();
  const rawClis: RawClaude[] = [];
  try {
    await call(mission.url, mission.headers, '/v1/slots/default', { cwd: place.workdir, env: place.env }, 'PUT');
    // The three claude processes start at once: no start is measured.
    const rawEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color', ...place.env };
    const [single, raw, hooked] = await Promise.all([
      post<Session>('/v1/sessions', { slot: 'default' }).then(async (session) => {
        const state = async () =>
          ((await (await fetch(`${mission.url}/v1/sessions/${session.id}`, { headers: mission.headers })).json()) as Session).state;
        await waitUntil(async () => (await state()) === 'idle', 120_000, 'the session to start', POLL_MS);
        return session;
      }),
      rawClaude(rawEnv, place.workdir, 'raw').then((cli) => (rawClis.push(cli), cli)),
      rawClaude(rawEnv, place.workdir, 'hooked', hookEndpoint).then((cli) => (rawClis.push(cli), cli)),
    ]);
    const latencies: number[] = [];
    const rawLatencies: number[] = [];
    const hookedLatencies: number[] = [];
    const sent: { i: number; start: number; end: number }[] = [];
    // The claude processes (in the slot's folder), Mission's API and its worker.
    const busy = () => [...processesIn(place.workdir), mission.api.pid!, mission.worker.pid!];
    const quiet = () => untilQuiet(busy, QUIET_MS, 'the claude processes and Mission to go quiet between sends');
    for (let i = 0; i < WARMUP_SENDS + SEND_RUNS; i++) {
      const measured = i >= WARMUP_SENDS;
      await quiet();
      const start = Date.now();
      // Through Mission's own client (the `mission` CLI's), as a person sending from the command line would.
      const { ms: took, value } = await timeIt(() =>
        mission.client.request<SessionTurn>('POST', `/v1/sessions/${single.id}/send`, { text: `ping ${i}`, timeoutMs: 30_000 }),
      );
      if (value.response !== `pong ping ${i}`) throw new Error(`send ${i} answered ${JSON.stringify(value)}`);
      const end = Date.now();
      await quiet();
      const rawTook = await raw.send(i);
      await quiet();
      const hookedTook = await hooked.send(i);
      if (!measured) continue;
      latencies.push(took);
      sent.push({ i, start, end });
      rawLatencies.push(rawTook);
      hookedLatencies.push(hookedTook);
    }
    const phases = sendPhases(await storedEvents(mission.url, mission.headers, single.id), sent);
    await post(`/v1/sessions/${single.id}/kill`, {});
    return { send: summarize(latencies), raw: summarize(rawLatencies), hooked: summarize(hookedLatencies), phases };
  } finally {
    await Promise.all(rawClis.map((cli) => cli.close()));
    await hookEndpoint.close();
    await mission.stopProcesses();
    await mission.cleanUp();
    place.remove();
  }
}

/**
 * A fleet of idle sessions in one worker (`system`'s, in this process: its memory is read here), then, with `--full`,
 * all of them answering at once.
 */
async function sessionFleet(stub: StubAnthropic, system: BenchSystem) {
  const place = claudeWorkplace(stub);
  await system.core.slots.put('default', { cwd: place.workdir, env: place.env });
  const post = <T>(route: string, body: unknown) => call<T>(system.url, system.auth, route, body);
  try {
    // The worker's memory per session (the claude processes are not in it).
    const before = await memory();
    const started = Date.now();
    // Started in waves: fifty claude processes booting at once would starve two cores for a minute.
    const fleet: Session[] = [];
    while (fleet.length < FLEET) {
      const wave = Math.min(SPAWN_WAVE, FLEET - fleet.length);
      fleet.push(...(await Promise.all(Array.from({ length: wave }, () => post<Session>('/v1/sessions', { slot: 'default' })))));
      await waitUntil(
        async () => (await system.core.sessions.list({ state: 'idle', limit: 200 })).length >= fleet.length,
        300_000,
        `${fleet.length} idle sessions`,
        POLL_MS,
      );
    }
    const startup = Date.now() - started;
    const after = await memory();

    // With `--full`, every session answers at once, and every answer must be in its events (the quick run stops here).
    const answered = FULL ? await answerAtOnce(fleet, system, post) : undefined;
    await Promise.all(fleet.map((session) => post(`/v1/sessions/${session.id}/kill`, {})));
    return {
      perSession: {
        heap: (after.heapUsed - before.heapUsed) / FLEET,
        buffers: (after.external - before.external) / FLEET,
        rss: (after.rss - before.rss) / FLEET,
      },
      startup,
      answered,
    };
  } finally {
    place.remove();
  }
}

/** Every session of the fleet answers a send at once: how long that took, and the replies wrong or missing from the events. */
async function answerAtOnce(fleet: Session[], system: BenchSystem, post: <T>(route: string, body: unknown) => Promise<T>) {
  const { ms, value: turns } = await timeIt(() =>
    Promise.all(
      fleet.map((session, i) => post<SessionTurn>(`/v1/sessions/${session.id}/send`, { text: `fleet ${i}`, timeoutMs: 120_000 })),
    ),
  );
  const wrong = turns.filter((turn, i) => turn.response !== `pong fleet ${i}`).length;
  let missing = 0;
  for (const [i, session] of fleet.entries()) {
    const events = await system.core.events.list(session.id);
    if (!events.some((e) => e.type === 'assistant_message' && e.payload.text === `pong fleet ${i}`)) missing++;
  }
  return { ms, wrong, missing };
}

export async function benchSessions(): Promise<void> {
  const stub = await startStubAnthropic();
  stub.respond((request) => (request.tools.length > 0 ? { text: `pong ${request.lastUserText}` } : { text: 'side request' }));
  // The fleet's system (API and worker in this process) starts while send → reply is measured, and idles meanwhile.
  const fleetSystem = startBenchSystem({ MISSION_CLAUDE_BIN: CLAUDE_BIN, MISSION_WORKER_MAX_SESSIONS: String(FLEET + 5) });
  // A failed start is thrown where the fleet awaits it; until then this keeps Node from taking it for an unhandled one.
  fleetSystem.catch(() => undefined);
  try {
    const single = await sendToReply(stub);
    readGoal(goals.sendReply, single.send.p50 / single.raw.p50);
    report(
      'Interactive sessions: send → reply (real claude CLI on the stub API)',
      ['measure', 'p50', 'p99', 'vs raw PTY', 'vs raw with the hooks'],
      [
        ['raw PTY + xterm: type → reply on screen', ms(single.raw.p50), ms(single.raw.p99), '1.00×', ''],
        [
          "the same, claude with Mission's hooks answered at once: type → Stop hook call",
          ms(single.hooked.p50),
          ms(single.hooked.p99),
          ratio(single.hooked.p50, single.raw.p50),
          '1.00×',
        ],
        [
          'Mission POST /send → reply',
          ms(single.send.p50),
          ms(single.send.p99),
          ratio(single.send.p50, single.raw.p50),
          ratio(single.send.p50, single.hooked.p50),
        ],
      ],
    );
    console.log(
      `Mission's overhead per send (p50): ${ms(single.send.p50 - single.raw.p50)} over the raw PTY, ` +
        `${ms(single.send.p50 - single.hooked.p50)} over the raw claude with Mission's hooks to its Stop call (n=${single.send.n})`,
    );
    const { submit, model, finish } = single.phases;
    console.log(
      `Where a send's time goes (p50, from the events' stored times): POST → prompt taken (paste, submit, UserPromptSubmit hook, event and → working stored) ${ms(submit.p50)}; ` +
        `→ reply stored (model, Stop hook, event and → idle stored) ${ms(model.p50)}; → answer at the client (command reply) ${ms(finish.p50)}`,
    );
    const fleet = await sessionFleet(stub, await fleetSystem);
    readGoal(goals.idleSessionMemory, (fleet.perSession.heap + fleet.perSession.buffers) / 1024 / 1024);
    console.log(
      `${FLEET} sessions in one worker: idle after ${(fleet.startup / 1000).toFixed(1)} s; worker memory per idle session ` +
        `${mib(fleet.perSession.heap + fleet.perSession.buffers)} (${mib(fleet.perSession.heap)} JS heap + ${mib(fleet.perSession.buffers)} buffers; process RSS moved ${mib(fleet.perSession.rss)} per session), claude processes excluded; ` +
        (fleet.answered
          ? `all ${FLEET} answered at once in ${(fleet.answered.ms / 1000).toFixed(1)} s: ${fleet.answered.wrong} wrong replies, ${fleet.answered.missing} missing assistant_message events`
          : 'all answering at once: with --full'),
    );
  } finally {
    // A system that failed to start has nothing to close (its failure was thrown above, or a failure before it was).
    await (await fleetSystem.catch(() => undefined))?.close();
    await stub.close();
  }
}
