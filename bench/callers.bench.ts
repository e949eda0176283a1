import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@mission/store';
import { HOOK_SECRET_HEADER, HookServer } from '@mission/worker';
import { forkScript, readyMessage } from './lib/forkScript.ts';
import { measureInTurn } from './lib/inTurn.ts';
import { ms, ratio, report } from './lib/stats.ts';

const FULL = process.argv.includes('--full');
const ROUNDS = FULL ? 8 : 3;
/** Calls a round on new connections (each pays the caller check: /proc/net/tcp is read whole) and on kept ones. */
const FRESH_PER_ROUND = FULL ? 200 : 60;
const KEPT_PER_ROUND = FULL ? 1_000 : 300;

/** What the CLI posts at a turn's end (the fields Mission reads). */
const STOP = JSON.stringify({ session_id: 'bench', hook_event_name: 'Stop', last_assistant_message: 'Done.' });

/**
 * The worker's hook endpoint, which takes a session's calls only from its claude process (the caller check reads
 * /proc once a connection), against a bare HTTP endpoint that reads the body and answers `{}`, in the same process;
 * the calls come from a process of their own (the one the route is pinned to), told over IPC to make each, on a new
 * connection each time and on one kept open (as the CLI does). CPU is this process's: the endpoints' and the IPC's,
 * the same on both sides.
 */
export async function benchCallers(): Promise<void> {
  const hooks = new HookServer(createLogger({ level: 'silent' }));
  await hooks.start();
  const bare = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      JSON.parse(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const client = forkScript(path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'hookClientProcess.ts'), {});
  try {
    await readyMessage(client);
    const route = hooks.register('bench', { hook: async () => ({}) });
    route.caller.calledFrom(Promise.resolve(client.pid));
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/hooks/bench`;
    const call = (url: string, fresh: boolean) => () =>
      new Promise<void>((resolve, reject) => {
        client.send({ url, fresh, body: STOP, headers: { 'content-type': 'application/json', [HOOK_SECRET_HEADER]: route.secret } });
        client.once('message', (status) => (status === 200 ? resolve() : reject(new Error(`the hook call was answered ${status}`))));
      });
    const fresh = await measureInTurn(
      { bare: call(bareUrl, true), mission: call(route.url, true) },
      { perRound: FRESH_PER_ROUND, rounds: ROUNDS },
    );
    const kept = await measureInTurn(
      { bare: call(bareUrl, false), mission: call(route.url, false) },
      { perRound: KEPT_PER_ROUND, rounds: ROUNDS },
    );
    const row = (label: string, measured: typeof fresh) => [
      label,
      ms(measured.bare.cpuMs),
      ms(measured.mission.cpuMs),
      ratio(measured.mission.cpuMs, measured.bare.cpuMs),
      ms(measured.bare.latency.p50),
      ms(measured.mission.latency.p50),
      ratio(measured.mission.latency.p50, measured.bare.latency.p50),
    ];
    report(
      `Hook call: the worker's hook endpoint (the caller found in /proc once a connection) vs a bare HTTP endpoint, calls from a process of their own told over IPC, ${ROUNDS} rounds taken in turn; CPU: this process's`,
      ['connection', 'bare CPU', 'Mission CPU', 'ratio', 'bare p50', 'Mission p50', 'ratio'],
      [row(`new for each call (${FRESH_PER_ROUND} a round)`, fresh), row(`kept open, as the CLI does (${KEPT_PER_ROUND} a round)`, kept)],
    );
  } finally {
    client.kill();
    await hooks.close();
    bare.close();
  }
}
