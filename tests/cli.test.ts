import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Approval, type MissionEvent, type Session, type Subagent, type Task } from '@mission/contracts';
import { HeadlessTerminal } from '@mission/worker';
import pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { DEFAULT_DETACH_KEYS, DetachSequence, detachKeysName, parseDetachKeys } from '../packages/cli/src/detachKeys.ts';
import { loadClientEnv } from '../packages/cli/src/env.ts';
import { ApiError, UnreachableError, UsageError } from '../packages/cli/src/errors.ts';
import { ownerEvents } from '../packages/cli/src/eventFeed.ts';
import { eventText } from '../packages/cli/src/eventText.ts';
import { ApiClient } from '../packages/cli/src/http.ts';
import { painter } from '../packages/cli/src/printer.ts';
import { SseParser } from '../packages/cli/src/sse.ts';
import { CLAUDE_BIN } from './support/claudeEnv.ts';
import { CACHES_QUESTION, DATABASE_QUESTION } from './support/questions.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { endedChildrenCpuMs } from './support/procCpu.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { redisUrl, uniquePrefix } from './support/isolation.ts';
import { unusedPort } from './support/ports.ts';
import { addProjectMcpServer } from './support/firstRunScenarios.ts';
import { waitUntil } from './support/processes.ts';
import { ADMIN, approvalStoreOf } from './support/system.ts';
import type { StubReply } from './support/stubAnthropic.ts';
import { EVERY_SLOT_OPTION } from './support/slotOptions.ts';
import { CLAUDE_VERSION } from './fixtures/recordings.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const bin = path.join(repoRoot, 'bin', 'mission.mjs');
const execFileAsync = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('mission CLI: pure parts', () => {
  it('detach keys: written as docker attach takes them; the sequence detaches, a broken one is passed on, across chunks', () => {
    expect(parseDetachKeys(DEFAULT_DETACH_KEYS)).toEqual(['\x1d', 'd']);
    expect(parseDetachKeys('ctrl-p, ctrl-q')).toEqual(['\x10', '\x11']);
    expect(parseDetachKeys('Ctrl-B,d')).toEqual(['\x02', 'd']);
    expect(detachKeysName('ctrl-p,ctrl-q')).toBe('Ctrl+P Ctrl+Q');
    for (const bad of ['', 'ctrl-1', 'ctrl-', 'ab', 'ctrl-p,,d']) expect(() => parseDetachKeys(bad), bad).toThrow(UsageError);

    const sequence = new DetachSequence(parseDetachKeys(DEFAULT_DETACH_KEYS));
    expect(sequence.feed('hello\r')).toEqual({ forward: 'hello\r', detach: false });
    expect(sequence.feed('a\x1d')).toEqual({ forward: 'a', detach: false });
    expect(sequence.feed('x')).toEqual({ forward: '\x1dx', detach: false });
    expect(sequence.feed('\x1d\x1d')).toEqual({ forward: '\x1d', detach: false });
    expect(sequence.feed('dnot sent')).toEqual({ forward: '', detach: true });
    expect(new DetachSequence(parseDetachKeys('ctrl-p,ctrl-q')).feed('é\x10\x11')).toEqual({ forward: 'é', detach: true });
    // tmux's and screen's prefixes pass through untouched.
    expect(new DetachSequence(parseDetachKeys(DEFAULT_DETACH_KEYS)).feed('\x02d\x01d')).toEqual({ forward: '\x02d\x01d', detach: false });
  });

  it('the API the client talks to: MISSION_URL, else 127.0.0.1 at PORT (as `mission up` listens), else :7070', () => {
    expect(loadClientEnv({ MISSION_URL: 'http://mission.internal:8080/', PORT: '9000' }).url).toBe('http://mission.internal:8080');
    expect(loadClientEnv({ PORT: '9000' }).url).toBe('http://127.0.0.1:9000');
    expect(loadClientEnv({ PORT: '0' }).url).toBe('http://127.0.0.1:7070');
    expect(loadClientEnv({}).url).toBe('http://127.0.0.1:7070');
    expect(loadClientEnv({}).detachKeys).toBe(DEFAULT_DETACH_KEYS);
    expect(loadClientEnv({ MISSION_DETACH_KEYS: 'ctrl-p,ctrl-q' }).detachKeys).toBe('ctrl-p,ctrl-q');
    expect(loadClientEnv({ MISSION_TOKEN: '  mt_abc \n' }).token).toBe('mt_abc');
    expect(loadClientEnv({ MISSION_TOKEN: ' ' }).token).toBeUndefined();
    expect(loadClientEnv({ NO_COLOR: '1' }).noColor).toBe(true);
    expect(loadClientEnv({ NO_COLOR: '' }).noColor).toBe(false);
    // What would reach no API says so at once, in Mission's words (`localhost:7070` parses as a URL of scheme `localhost:`).
    for (const url of ['localhost:7070', '127.0.0.1:7070', 'ftp://mission.internal', ''])
      expect(() => loadClientEnv({ MISSION_URL: url }), url).toThrow(
        /^MISSION_URL must be an http or https URL such as http:\/\/127\.0\.0\.1:7070/,
      );
    expect(() => loadClientEnv({ MISSION_DETACH_KEYS: '  ' })).toThrow('MISSION_DETACH_KEYS must not be blank');
  });

  it('mission --version runs built JavaScript, no TypeScript compile: under CPU load, each run costs at most half the CPU of the same command run from its source with tsx', async () => {
    /** CPU of one run of node with these arguments (it has ended, so it is counted among this process's ended children). */
    const cpuOfRun = async (args: string[], cwd: string) => {
      const before = endedChildrenCpuMs();
      const { stdout } = await execFileAsync(process.execPath, args, { cwd });
      return { stdout, cpuMs: endedChildrenCpuMs() - before };
    };
    const stopLoad = startCpuLoad();
    try {
      // Interleaved, so both sides run under the same load: a bound in milliseconds would measure the machine.
      for (let run = 0; run < 3; run++) {
        const built = await cpuOfRun([bin, '--version'], os.tmpdir());
        const fromSource = await cpuOfRun(['--import', 'tsx', path.join(repoRoot, 'packages/cli/src/main.ts'), '--version'], repoRoot);
        expect(built.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
        expect(fromSource.stdout).toBe(built.stdout);
        expect(built.cpuMs, `CPU ms of mission --version, against ${fromSource.cpuMs} ms from its source`).toBeLessThanOrEqual(
          fromSource.cpuMs / 2,
        );
      }
    } finally {
      await stopLoad();
    }
  });

  it('SSE: messages split across chunks, comments and CRLF', () => {
    const parser = new SseParser();
    expect(parser.push(': connected\n\nid: 1\nevent: state\nda')).toEqual([]);
    expect(parser.push('ta: {"a":1}\r\n\r\nevent: end\ndata: {}\n\n: keepalive\n\n')).toEqual([
      { id: '1', event: 'state', data: '{"a":1}' },
      { event: 'end', data: '{}' },
    ]);
  });

  it('events as text: colored only when asked, multi-line text indented under its line', () => {
    const event = {
      type: 'assistant_message',
      payload: { text: 'one\ntwo' },
      ownerKind: 'task',
      ownerId: 'task_x',
      seq: 4,
      at: '2026-11-25T20:01:02.000Z',
    } as MissionEvent;
    expect(eventText(event, painter(false))).toBe(`20:01:02 #4   assistant_message   one\n${' '.repeat(34)}two`);
    expect(eventText(event, painter(true))).toContain('\x1b[32massistant_message');
  });
});

describe("mission CLI: its HTTP client (node:http) against a server of the test's", () => {
  /** A server on 127.0.0.1 answering each request with `handler`; closed with `close`. */
  async function serve(handler: http.RequestListener) {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
  }

  it("JSON in and out with the token; a refusal is the API's own code and message; a body of another shape is the status; a redirect is named", async () => {
    const seen: { method?: string; auth?: string; type?: string; body: string }[] = [];
    const lengths: (string | undefined)[] = [];
    const server = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.once('end', () => {
        seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body });
        lengths.push(req.headers['content-length']);
        if (req.url === '/ok') res.writeHead(201, { 'content-type': 'application/json' }).end('{"name":"é ✓"}');
        else if (req.url === '/moved') res.writeHead(308, { location: 'https://mission.example/moved' }).end();
        else if (req.url === '/refused')
          res.writeHead(409, { 'content-type': 'application/json' }).end('{"error":{"code":"conflict","message":"busy"}}');
        else res.writeHead(502).end('<html>bad gateway</html>');
      });
    });
    try {
      const api = new ApiClient(server.url, 'tok');
      expect(await api.request('POST', '/ok', { text: 'ü' })).toEqual({ name: 'é ✓' });
      expect(seen[0]).toEqual({ method: 'POST', auth: 'Bearer tok', type: 'application/json', body: '{"text":"ü"}' });
      await expect(api.request('GET', '/refused')).rejects.toEqual(new ApiError('conflict', 'busy', 409));
      expect(seen[1]).toMatchObject({ method: 'GET', type: undefined, body: '' });
      await expect(api.request('GET', '/gateway')).rejects.toEqual(new ApiError('http_error', 'the API answered HTTP 502', 502));
      // Node's fetch followed a redirect by itself; this client names it (MISSION_URL is to name the API itself).
      await expect(api.request('POST', '/moved', {})).rejects.toEqual(
        new ApiError(
          'http_error',
          'the API answered HTTP 308, moved to https://mission.example/moved: set MISSION_URL to where it is',
          308,
        ),
      );
      expect(await new ApiClient(server.url, undefined).status('/gateway', { authorized: true })).toBe(502);
      expect(seen[4]?.auth).toBeUndefined();
      // Every body's length is told in bytes ({"text":"ü"}: 13); a POST without one says 0 (as fetch did), a GET nothing.
      await expect(api.request('POST', '/gateway')).rejects.toBeInstanceOf(ApiError);
      expect(lengths).toEqual(['13', undefined, undefined, '2', undefined, '0']);
    } finally {
      await server.close();
    }
  });

  it('an event stream: messages as they arrive, a character split between two writes whole; aborting ends it quietly', async () => {
    let second: (() => void) | undefined;
    const server = await serve((req, res) => {
      expect(req.headers.accept).toBe('text/event-stream');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const bytes = Buffer.from('id: 1\ndata: {"text":"é"}\n\n');
      const split = bytes.indexOf(Buffer.from('é')) + 1;
      res.write(bytes.subarray(0, split));
      setImmediate(() => res.write(bytes.subarray(split)));
      second = () => res.write('data: second\n\n');
    });
    try {
      const abort = new AbortController();
      const messages: string[] = [];
      for await (const message of await new ApiClient(server.url, undefined).openStream('/events', abort.signal)) {
        messages.push(message.data);
        if (messages.length === 1) second?.();
        else abort.abort();
      }
      expect(messages).toEqual(['{"text":"é"}', 'second']);
    } finally {
      await server.close();
    }
  });

  it('a followed stream cut mid-way (the API restarted) picks up after its last event; without --follow the cut is an error', async () => {
    const afters: string[] = [];
    const server = await serve((req, res) => {
      const after = new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? '';
      afters.push(after);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = (seq: number) => `id: ${seq}\ndata: ${JSON.stringify({ seq, type: 'output', payload: { text: `line ${seq}` } })}\n\n`;
      // The first stream is cut after its first event (the socket destroyed mid-response); the next one ends.
      if (after === '0') res.write(event(1), () => res.destroy());
      else res.end(`${event(2)}event: end\ndata: {}\n\n`);
    });
    try {
      const api = new ApiClient(server.url, undefined);
      const followed: number[] = [];
      for await (const event of ownerEvents(api, { kind: 'task', id: 'task_1' }, { follow: true })) followed.push(event.seq);
      expect(followed).toEqual([1, 2]);
      expect(afters).toEqual(['0', '1']);
      const once: number[] = [];
      const cut = await (async () => {
        for await (const event of ownerEvents(api, { kind: 'task', id: 'task_1' }, { follow: false })) once.push(event.seq);
      })().catch((error: unknown) => error);
      expect(once).toEqual([1]);
      expect(cut).toBeInstanceOf(UnreachableError);
    } finally {
      await server.close();
    }
  });

  it("a followed stream answered 503 as it reconnects (an API shutting down, in Fastify's words) tries again", async () => {
    const afters: string[] = [];
    const server = await serve((req, res) => {
      const after = new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? '';
      afters.push(after);
      const event = (seq: number) => `id: ${seq}\ndata: ${JSON.stringify({ seq, type: 'output', payload: { text: `line ${seq}` } })}\n\n`;
      if (after === '0') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(event(1), () => res.destroy());
      } else if (afters.filter((a) => a === after).length === 1) {
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}');
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`${event(2)}event: end\ndata: {}\n\n`);
      }
    });
    try {
      const followed: number[] = [];
      for await (const event of ownerEvents(new ApiClient(server.url, undefined), { kind: 'task', id: 'task_1' }, { follow: true }))
        followed.push(event.seq);
      expect(followed).toEqual([1, 2]);
      expect(afters).toEqual(['0', '1', '1']);
    } finally {
      await server.close();
    }
  });

  it('an API that cannot be reached is told with its cause and MISSION_URL, at once also when following', async () => {
    const port = await unusedPort();
    const api = new ApiClient(`http://127.0.0.1:${port}`, undefined);
    const refused = await api.request('GET', '/v1/slots').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UnreachableError);
    expect((refused as Error).message).toBe(
      `cannot reach the Mission API at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); is it running? (MISSION_URL)`,
    );
    // Never reached: no reconnecting (it is for a stream that was open), so a wrong MISSION_URL is said at once.
    const following = ownerEvents(api, { kind: 'task', id: 'task_1' }, { follow: true }).next();
    await expect(following).rejects.toEqual(refused);
  });
});

/** The real `bin/mission.mjs` against a whole system running the real claude CLI on the stub API. */
describe('mission CLI against a running system (real claude CLI, stub API)', () => {
  let bed: ClaudeTestBed;
  let clientEnv: Record<string, string>;
  /** Replies by the prompt (the last user text): the same one every time it is asked, for retries too. */
  const replies: Record<string, StubReply> = {};

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    // Interactive sessions make side requests without tools (titles and the like): those get a plain answer.
    bed.stub.respond((request) => (request.tools.length === 0 ? { text: 'side request' } : replies[request.lastUserText]));
    clientEnv = { MISSION_URL: bed.system.url, MISSION_TOKEN: bed.system.auth.authorization.replace(/^Bearer /, '') };
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** Runs a program to its end with the client's environment (MISSION_URL, MISSION_TOKEN) and `env` laid over this process's. */
  function execute(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(file, args, { cwd: repoRoot, env: { ...process.env, ...clientEnv, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  const mission = (args: string[], env: Record<string, string> = {}) => execute(process.execPath, [bin, ...args], env);

  /** Starts the CLI in a terminal (a PTY), as a person would; a headless xterm renders its screen. */
  function missionInTerminal(args: string[], env: Record<string, string> = {}) {
    const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
    const child = pty.spawn(process.execPath, [bin, ...args], {
      name: 'xterm-256color',
      cols: 120,
      rows: 40,
      cwd: repoRoot,
      env: { ...process.env, ...clientEnv, ...env },
    });
    let output = '';
    let closed = false;
    child.onData((data) => {
      output += data;
      terminal.write(data);
    });
    return {
      child,
      /** Its exit code, once the terminal has drawn all it wrote (xterm parses a write later, on a timer). */
      exited: new Promise<number>((resolve) =>
        child.onExit(({ exitCode }) => (closed ? resolve(exitCode) : terminal.write('', () => resolve(exitCode)))),
      ),
      /** Everything it wrote, escape sequences and all. */
      output: () => output,
      screen: () => terminal.screen().lines.join('\n'),
      shows: (text: string) => terminal.screen().lines.some((line) => line.includes(text)),
      close() {
        closed = true;
        child.kill();
        terminal.dispose();
      },
    };
  }

  /** Runs the CLI in a terminal to its end. */
  async function missionInTerminalToEnd(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
    const running = missionInTerminal(args, env);
    const code = await running.exited;
    running.close();
    return { code, output: running.output() };
  }

  const getTask = async (id: string) => (await (await bed.system.fetch(`/v1/tasks/${id}`)).json()) as Task;

  it('submit --wait prints the answer and exits 0; the task really ran on the claude CLI', async () => {
    replies['What is the answer?'] = { text: 'The answer is 42.' };
    const run = await mission(['submit', 'default', 'What is the answer?', '--wait']);
    expect(run).toEqual({ code: 0, stdout: 'The answer is 42.\n', stderr: '' });
    expect(bed.stub.requests.some((request) => request.lastUserText === 'What is the answer?')).toBe(true);
  });

  it("submit --wait says what the task waits for: Claude's question, its options and how to answer it; answered, the task ends", async () => {
    replies['Pick our database'] = {
      text: 'One question.',
      toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }],
    };
    // Claude's reply once its question is answered (a request whose last user message is the tool's result only).
    replies[''] = { text: 'SQLite it is.' };
    const waiting = missionInTerminal(['submit', 'default', 'Pick our database', '--wait']);
    try {
      const asked =
        /(task_\w+) waits: Claude asks \(approval (appr_\w+)\): 1\. Which database should we use\? \(1: Postgres; 2: SQLite\); answer with `mission approve appr_\w+ --answer …`, one per question/;
      await waitUntil(() => asked.test(waiting.output()), 60_000, "the question in submit --wait's output");
      const [, taskId, approval] = asked.exec(waiting.output())! as unknown as [string, string, string];
      // `mission status` of the task says the same while it waits.
      const status = await mission(['status', taskId]);
      expect(status.stdout).toMatch(
        new RegExp(
          `^  waits for +Claude asks \\(approval ${approval}\\): 1\\. Which database should we use\\? \\(1: Postgres; 2: SQLite\\); answer with`,
          'm',
        ),
      );
      expect(JSON.parse((await mission(['status', taskId, '--json'])).stdout).pendingApprovals).toMatchObject([
        { id: approval, tool: 'AskUserQuestion', status: 'pending', owner: { kind: 'task', id: taskId } },
      ]);
      // The question is also put in the terminal the task waits in (this test answers it from another command).
      expect(waiting.shows('your answer:')).toBe(true);
      expect((await mission(['approve', approval, '--answer', '2'])).code).toBe(0);
      expect(await waiting.exited).toBe(0);
      expect(waiting.output()).toContain('SQLite it is.');
      // Answered elsewhere: the terminal's question was withdrawn, saying so.
      expect(waiting.screen()).toMatch(/\(decided elsewhere, by [^)]+\)/);
      const ended = JSON.parse((await mission(['status', taskId, '--json'])).stdout);
      expect(ended).toMatchObject({ status: 'succeeded' });
      expect(ended).not.toHaveProperty('pendingApprovals');
    } finally {
      delete replies[''];
      waiting.close();
    }
  });

  it("submit --wait in a terminal puts Claude's question there: a key it does not offer is refused and the question asked again; a number answers it", async () => {
    replies['Pick our database here'] = {
      text: 'One question.',
      toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }],
    };
    replies[''] = { text: 'SQLite it is.' };
    const waiting = missionInTerminal(['submit', 'default', 'Pick our database here', '--wait']);
    try {
      await waitUntil(() => waiting.shows('your answer:'), 60_000, 'the question put in the terminal');
      expect(waiting.screen()).toContain(
        [
          '  Database: Which database should we use?',
          '    1. Postgres',
          '    2. SQLite',
          '  Postgres: The relational one',
          '  SQLite: The embedded one',
          '  Or an answer in your own words.',
          '  your answer:',
        ].join('\n'),
      );
      waiting.child.write('9\r');
      await waitUntil(() => waiting.shows("the question has no option '9'; it offers"), 30_000, 'the refusal of a key not offered');
      waiting.child.write('2\r');
      expect(await waiting.exited).toBe(0);
      expect(waiting.screen()).toContain('answered: SQLite');
      expect(waiting.output()).toContain('SQLite it is.');
      const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
      expect(told).toContainEqual(expect.stringContaining('"Which database should we use?"="SQLite"'));
    } finally {
      delete replies[''];
      waiting.close();
    }
  });

  it("ask in a terminal: Claude's questions are put there while the ask waits (not told that nobody can answer); words and several numbers answer them", async () => {
    replies['Plan our storage'] = {
      text: 'Two questions.',
      toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION, CACHES_QUESTION] } }],
    };
    replies[''] = { text: 'MariaDB with two caches.' };
    const asking = missionInTerminal(['ask', 'default', 'Plan our storage']);
    try {
      await waitUntil(() => asking.shows('your answer:'), 60_000, "the ask's question put in the terminal");
      asking.child.write('MariaDB, please\r');
      await waitUntil(() => asking.shows('Which caches should it keep? (question 2 of 2)'), 30_000, 'the second question');
      asking.child.write('1,3\r');
      expect(await asking.exited).toBe(0);
      expect(asking.output()).toMatch(/MariaDB with two caches\.\r?\n$/);
      const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
      expect(told).toContainEqual(
        expect.stringContaining('"Which database should we use?"="MariaDB, please", "Which caches should it keep?"="Sessions, Queries"'),
      );
    } finally {
      delete replies[''];
      asking.close();
    }
  });

  it('ask in a terminal on a token that may not decide approvals: asked as a script asks, Claude is told that nobody can answer', async () => {
    replies['Plan without me'] = {
      text: 'One question.',
      toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }],
    };
    replies[''] = { text: 'I assumed Postgres.' };
    const { token } = await bed.system.core.tokens.create({ name: 'asks-only-cli', scopes: ['tasks:write', 'tasks:read'] }, 'test');
    try {
      const asked = await missionInTerminalToEnd(['ask', 'default', 'Plan without me'], { MISSION_TOKEN: token });
      expect(asked.code).toBe(0);
      expect(asked.output).toMatch(/I assumed Postgres\.\r?\n$/);
      expect(asked.output).not.toContain('your answer:');
      const told = bed.stub.conversationRequests('Plan without me').flatMap((request) => request.toolResults);
      expect(told.map((result) => result.content)).toEqual([expect.stringMatching(/^Nobody can answer questions here/)]);
    } finally {
      delete replies[''];
    }
  });

  it("ask in a terminal interrupted with Ctrl+C while Claude's question is put: the command ends and its task is cancelled", async () => {
    replies['Ask and walk away'] = {
      text: 'One question.',
      toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }],
    };
    const asking = missionInTerminal(['ask', 'default', 'Ask and walk away']);
    try {
      await waitUntil(() => asking.shows('your answer:'), 60_000, "the ask's question put in the terminal");
      const ended = new Promise<{ exitCode: number; signal?: number }>((resolve) => asking.child.onExit(resolve));
      asking.child.write('\x03');
      // Ended by the interrupt, as any command is (not waiting on in the prompt).
      expect(await ended).toMatchObject({ signal: os.constants.signals.SIGINT });
      const { tasks } = (await (await bed.system.fetch('/v1/tasks?limit=5')).json()) as { tasks: Task[] };
      const task = tasks.find((candidate) => candidate.prompt === 'Ask and walk away')!;
      expect(await bed.system.core.tasks.waitForEnd(task.id, 60_000)).toMatchObject({ status: 'cancelled' });
    } finally {
      asking.close();
    }
  });

  it('submit --wait in a terminal puts a tool use a rule asks about there: y approves it and the tool runs; n with words denies it, and Claude reads them', async () => {
    await bed.system.core.roles.put('asks-before-writing', { description: 'ask before writing', confirm: ['Edit'] }, 'test');
    await bed.system.core.slots.put('asks-before-writing', { role: 'asks-before-writing', cwd: bed.workdir, env: bed.claude.env });
    const write = (prompt: string, file: string) => {
      replies[prompt] = { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'written\n' } }] };
    };
    replies[''] = { text: 'Done.' };
    const approvedFile = path.join(bed.workdir, 'approved-here.txt');
    const deniedFile = path.join(bed.workdir, 'denied-here.txt');
    write('Write it here', approvedFile);
    write('Write it there', deniedFile);
    const ask = /appr_\w+: approve Write\? y, or n and a reason Claude reads:/;
    try {
      const approving = missionInTerminal(['submit', 'asks-before-writing', 'Write it here', '--wait']);
      await waitUntil(() => ask.test(approving.screen()), 60_000, 'the tool use put in the terminal');
      approving.child.write('y\r');
      expect(await approving.exited).toBe(0);
      approving.close();
      expect(approving.screen()).toContain('approved: Write');
      expect(fs.readFileSync(approvedFile, 'utf8')).toBe('written\n');

      const denying = missionInTerminal(['submit', 'asks-before-writing', 'Write it there', '--wait']);
      await waitUntil(() => ask.test(denying.screen()), 60_000, 'the tool use put in the terminal');
      denying.child.write('n not on a Friday\r');
      expect(await denying.exited).toBe(0);
      denying.close();
      expect(denying.screen()).toContain('denied: Write');
      expect(fs.existsSync(deniedFile)).toBe(false);
      const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
      expect(told).toContainEqual(expect.stringContaining('not on a Friday'));
    } finally {
      delete replies[''];
    }
  });

  it('submit --wait on a task that fails exits 1 with one line saying why', async () => {
    replies['Trigger an API error'] = { error: { status: 400, type: 'invalid_request_error', message: 'stub says: refused' } };
    const run = await mission(['submit', 'default', 'Trigger an API error', '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^mission: task task_\w+ failed( \([^)]*\))?: .*stub says: refused.*\n$/);
    // --json: the failed task on stdout, still exit 1.
    const json = await mission(['submit', 'default', 'Trigger an API error', '--wait', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed', error: expect.stringContaining('stub says: refused') });
  });

  it('submit --json (no wait), then status, logs and logs --json of the finished task', async () => {
    replies['Say hello'] = { text: 'Hello from the stub.' };
    const submitted = await mission(['submit', 'default', 'Say hello', '--priority', '70', '--json']);
    expect(submitted.code).toBe(0);
    const task = JSON.parse(submitted.stdout) as Task;
    expect(task.id).toMatch(/^task_/);
    expect(task.slot).toBe('default');
    expect(task.prompt).toBe('Say hello');
    expect(task.priority).toBe(70);
    expect(task.status).toBe('queued');
    await waitUntil(async () => (await getTask(task.id)).status === 'succeeded', 30_000, 'the task to succeed');

    const status = await mission(['status', task.id, '--json']);
    const shown = JSON.parse(status.stdout) as Task;
    expect(shown.id).toBe(task.id);
    expect(shown.status).toBe('succeeded');
    expect(shown.result).toBe('Hello from the stub.');
    expect(shown.finishedAt).not.toBeNull();
    const human = await mission(['status', task.id]);
    expect(human.stdout).toMatch(new RegExp(`^${task.id}  succeeded\\n`));
    expect(human.stdout).toMatch(/^ {2}result +Hello from the stub\.$/m);

    const stored = await bed.system.core.events.list(task.id);
    const logsJson = await mission(['logs', task.id, '--json']);
    expect(logsJson.code).toBe(0);
    const events = logsJson.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MissionEvent);
    expect(events).toEqual(stored);
    expect(events.map((event) => event.seq)).toEqual(stored.map((_, index) => index + 1));
    expect(events[0]).toMatchObject({ type: 'state', payload: { state: 'queued' } });
    expect(events.find((event) => event.type === 'result')?.payload).toMatchObject({ text: 'Hello from the stub.', isError: false });
    expect(events.at(-1)).toMatchObject({ type: 'state', payload: { state: 'succeeded' } });
    // --tail: only the last N stored.
    const tail = await mission(['logs', task.id, '--tail', '2', '--json']);
    expect(
      tail.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as MissionEvent),
    ).toEqual(stored.slice(-2));

    // The same events for people: one line each (in order), no colors when piped.
    const logs = await mission(['logs', task.id]);
    expect(logs.stdout).not.toContain('\x1b[');
    const typesShown = logs.stdout
      .split('\n')
      .map((line) => /^\d\d:\d\d:\d\d #(\d+) +(\w+)/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [Number(match[1]), match[2]]);
    expect(typesShown).toEqual(stored.map((event) => [event.seq, event.type]));
    expect(logs.stdout).toContain('Hello from the stub.');
  });

  it('logs of a running task prints the events so far and exits at once; --follow waits for the end', async () => {
    replies['Keep running a while'] = { text: 'Finally done.', chunks: 20, chunkDelayMs: 400 };
    const submitted = await mission(['submit', 'default', 'Keep running a while', '--json']);
    const task = JSON.parse(submitted.stdout) as Task;
    await waitUntil(async () => (await getTask(task.id)).status === 'running', 20_000, 'the task to run');
    const soFar = await mission(['logs', task.id, '--json']);
    expect(soFar.code).toBe(0);
    expect((await getTask(task.id)).status).toBe('running');
    const events = soFar.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MissionEvent);
    expect(events.map((event) => event.type === 'state' && event.payload.state)).toContain('running');
    expect(events.some((event) => event.type === 'result')).toBe(false);
    const followed = await mission(['logs', task.id, '--follow', '--json']);
    expect(followed.code).toBe(0);
    expect(JSON.parse(followed.stdout.trim().split('\n').at(-1)!)).toMatchObject({ type: 'state', payload: { state: 'succeeded' } });
  });

  it('submit --follow streams the events, then exits with the outcome; --follow --json is JSON lines ending with the task', async () => {
    replies['Follow me'] = { text: 'Followed to the end.', chunks: 4, chunkDelayMs: 100 };
    const run = await mission(['submit', 'default', 'Follow me', '--follow']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /state +queued[\s\S]*state +running[\s\S]*assistant_message +Followed to the end\.[\s\S]*state +succeeded\ntask task_\w+ succeeded/,
    );

    const json = await mission(['submit', 'default', 'Follow me', '--follow', '--json']);
    expect(json.code).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const task = lines.at(-1) as Task;
    expect(task).toMatchObject({ status: 'succeeded', result: 'Followed to the end.' });
    expect(lines.slice(0, -1)).toEqual(await bed.system.core.events.list(task.id));
  });

  it('in a terminal: --wait shows a spinner with the state and elapsed time; logs are colored, unless NO_COLOR is set', async () => {
    replies['Think for a while'] = { text: 'Thought it through.', chunks: 12, chunkDelayMs: 150 };
    const waited = await missionInTerminalToEnd(['submit', 'default', 'Think for a while', '--wait']);
    expect(waited.code).toBe(0);
    expect(waited.output).toMatch(/⠋ task_\w+ (queued|running) 0s/);
    expect(waited.output).toMatch(/task_\w+ running 1s/);
    expect(waited.output).toMatch(/\x1b\[2KThought it through\.\r?\n$/);

    const [task] = ((await (await bed.system.fetch('/v1/tasks?limit=1')).json()) as { tasks: Task[] }).tasks;
    const colored = await missionInTerminalToEnd(['logs', task!.id]);
    expect(colored.output).toContain('\x1b[36mstate');
    expect(colored.output).toContain('\x1b[32massistant_message');
    const plain = await missionInTerminalToEnd(['logs', task!.id], { NO_COLOR: '1' });
    expect(plain.output).toContain('assistant_message   Thought it through.');
    expect(plain.output).not.toContain('\x1b[');
  });

  it('submit --wait on a task cancelled with `mission cancel` exits 1', async () => {
    replies['Take your time'] = { text: 'slow '.repeat(100), chunks: 100, chunkDelayMs: 200 };
    const waiting = mission(['submit', 'default', 'Take your time', '--wait', '--json']);
    let running: Task | undefined;
    await waitUntil(
      async () => {
        const listed = (await (await bed.system.fetch('/v1/tasks?status=running')).json()) as { tasks: Task[] };
        running = listed.tasks.find((task) => task.prompt === 'Take your time');
        return running !== undefined;
      },
      30_000,
      'the slow task to run',
    );
    const cancelled = await mission(['cancel', running!.id, '--json']);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: running!.id, status: 'cancelled' });
    const waited = await waiting;
    expect(waited.stderr).toBe('');
    expect(waited.code).toBe(1);
    expect(JSON.parse(waited.stdout)).toMatchObject({ id: running!.id, status: 'cancelled' });
    // Cancelling it again: the API's message, one line, exit 1.
    expect(await mission(['cancel', 'task_missing'])).toEqual({ code: 1, stdout: '', stderr: "mission: task 'task_missing' not found\n" });
  });

  it('ask prints the answer; --json gives {answer, task}', async () => {
    replies['Capital of France?'] = { text: 'Paris.' };
    expect(await mission(['ask', 'default', 'Capital of France?'])).toEqual({ code: 0, stdout: 'Paris.\n', stderr: '' });
    const json = JSON.parse((await mission(['ask', 'default', 'Capital of France?', '--json'])).stdout) as { answer: string; task: Task };
    expect(json.answer).toBe('Paris.');
    expect(json.task.status).toBe('succeeded');
  });

  it('approve decides a pending approval (and --deny with a reason); deciding it twice is a one-line 409', async () => {
    const { core } = bed.system;
    const store = approvalStoreOf(bed.system);
    const create = (subagent?: Subagent) =>
      store.create({
        owner: { kind: 'session', id: 'ses_cli' },
        slot: 'default',
        role: 'default',
        tool: 'Bash',
        input: { command: 'git push' },
        rule: null,
        timeoutMs: 60_000,
        ...(subagent ? { subagent } : {}),
      });
    const first = await create();
    const agents = await create({ id: 'a1', type: 'general-purpose' });
    const pending = JSON.parse((await mission(['approvals', '--pending', '--json'])).stdout) as { approvals: Approval[] };
    expect(pending.approvals.map((approval) => approval.id)).toContain(first.id);
    expect(pending.approvals.find((approval) => approval.id === agents.id)?.subagent).toEqual({ id: 'a1', type: 'general-purpose' });
    // Whose tool use each is: Claude's own, or a subagent's.
    const listed = (await mission(['approvals', '--pending'])).stdout;
    expect(listed).toMatch(
      new RegExp(`^ID +STATUS +TOOL +FOR +BY +REQUESTED\n(.*\n)*${first.id} +pending +Bash +session ses_cli +Claude `),
    );
    expect(listed).toMatch(new RegExp(`\n${agents.id} +pending +Bash +session ses_cli +subagent general-purpose `));
    const approved = await mission(['approve', first.id, '--json']);
    expect(approved.code).toBe(0);
    const body = JSON.parse(approved.stdout) as Approval;
    expect(body.id).toBe(first.id);
    expect(body.status).toBe('approved');
    expect(body.decidedBy).toBe('token:test-admin');
    expect((await core.approvals.get(first.id, ADMIN)).status).toBe('approved');
    expect(
      (JSON.parse((await mission(['approvals', '--pending', '--json'])).stdout) as { approvals: Approval[] }).approvals.map(
        (approval) => approval.id,
      ),
    ).not.toContain(first.id);
    expect(
      (JSON.parse((await mission(['approvals', '--json'])).stdout) as { approvals: Approval[] }).approvals.find(
        (approval) => approval.id === first.id,
      )?.status,
    ).toBe('approved');

    const second = await create();
    const denied = await mission(['approve', second.id, '--deny', '--reason', 'not on a Friday']);
    expect(denied).toEqual({ code: 0, stdout: `${second.id} denied: Bash for session ses_cli\n`, stderr: '' });
    expect(await core.approvals.get(second.id, ADMIN)).toMatchObject({ status: 'denied', reason: 'not on a Friday' });

    const again = await mission(['approve', first.id]);
    expect(again.code).toBe(1);
    expect(again.stderr.split('\n')).toHaveLength(2);
    expect(again.stderr).toMatch(/^mission: .*already.*\n$/);
  });

  it('approvals --decide in a terminal puts each pending approval in turn, oldest first: a tool use refused with a reason, a question answered, one decided elsewhere meanwhile said so', async () => {
    const { core } = bed.system;
    // Left by earlier tests of this file (their work is over): decided first, so only this test's are put.
    for (const left of (await core.approvals.list({ status: 'pending' }, ADMIN)).filter((approval) => approval.status === 'pending'))
      await core.approvals.deny(left.id, { reason: 'cleared before approvals --decide' }, 'test');
    const store = approvalStoreOf(bed.system);
    const create = (tool: string, input: Record<string, unknown>) =>
      store.create({
        owner: { kind: 'session', id: 'ses_decide' },
        slot: 'default',
        role: 'default',
        tool,
        input,
        rule: null,
        timeoutMs: 60_000,
      });
    const push = await create('Bash', { command: 'git push' });
    const question = await create('AskUserQuestion', { questions: [DATABASE_QUESTION] });
    const write = await create('Write', { file_path: 'notes.txt', content: 'hi' });
    const deciding = missionInTerminal(['approvals', '--decide']);
    try {
      await waitUntil(
        () => deciding.shows(`${push.id}: approve Bash? y, or n and a reason Claude reads:`),
        30_000,
        'the first approval put',
      );
      expect(deciding.screen()).toContain('session ses_decide wants Bash {"command":"git push"}');
      // Decided elsewhere while the first is put: when its turn comes, the answer given here is told it came too late.
      await core.approvals.approve(write.id, {}, 'elsewhere');
      deciding.child.write('n not on a Friday\r');
      await waitUntil(() => deciding.shows('your answer:'), 30_000, 'the question put');
      expect(deciding.screen()).toContain(`Claude asks (approval ${question.id}):`);
      deciding.child.write('2\r');
      await waitUntil(() => deciding.shows(`${write.id}: approve Write?`), 30_000, 'the last approval put');
      deciding.child.write('y\r');
      expect(await deciding.exited).toBe(0);
      expect(deciding.screen()).toContain(`(decided elsewhere: approval ${write.id} is already approved)`);
    } finally {
      deciding.close();
    }
    expect(await core.approvals.get(push.id, ADMIN)).toMatchObject({ status: 'denied', reason: 'not on a Friday' });
    expect(await core.approvals.get(question.id, ADMIN)).toMatchObject({ status: 'approved' });
    expect(await core.approvals.get(write.id, ADMIN)).toMatchObject({ status: 'approved', decidedBy: 'elsewhere' });
    // Not in a terminal: a usage error that says where to decide instead.
    expect(await mission(['approvals', '--decide'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'mission: --decide needs a terminal to ask in (stdin and stderr); in a script, decide with `mission approve`\nRun `mission help approvals` for usage.\n',
    });
  });

  it("approve --answer answers a task's question, one --answer per question: option numbers pick, anything else is words", async () => {
    const store = approvalStoreOf(bed.system);
    const question = await store.create({
      owner: { kind: 'task', id: 'task_cli' },
      slot: 'default',
      role: 'default',
      tool: 'AskUserQuestion',
      input: { questions: [DATABASE_QUESTION, CACHES_QUESTION] },
      rule: null,
      timeoutMs: 60_000,
    });
    const bare = await mission(['approve', question.id]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(
      /^mission: approval appr_\w+ is Claude's question: approve it with answers, one per question in order .*\n$/,
    );
    const answered = await mission(['approve', question.id, '--answer', '2', '--answer', 'only the sessions', '--json']);
    expect(answered.code).toBe(0);
    expect(JSON.parse(answered.stdout)).toMatchObject({
      status: 'approved',
      answers: { 'Which database should we use?': 'SQLite', 'Which caches should it keep?': 'only the sessions' },
    });
  });

  it('doctor passes on the running system, and fails with a clear line when MISSION_URL is a closed port', async () => {
    const local = {
      REDIS_URL: bed.system.config.redisUrl!,
      DATABASE_URL: bed.system.config.databaseUrl!,
      MISSION_CLAUDE_BIN: CLAUDE_BIN,
      HOME: bed.claude.home,
      ANTHROPIC_API_KEY: bed.claude.env.ANTHROPIC_API_KEY!,
    };
    const healthy = await mission(['doctor'], local);
    expect(healthy.code).toBe(0);
    expect(
      healthy.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(0, 10).trim()),
    ).toEqual(['✓ Redis', '✓ Postgres', '✓ claude', '✓ login', '✓ home', '✓ API', '✓ token']);
    expect(healthy.stdout).toMatch(new RegExp(`✓ claude +.*${CLAUDE_VERSION.replaceAll('.', '\\.')}.*, a version Mission is tested with`));
    expect(healthy.stdout).toMatch(/^✓ login +claude reaches the model with ANTHROPIC_API_KEY$/m);
    expect(healthy.stdout).toContain(`✓ home      ${bed.claude.home}/.claude.json is ready\n`);
    const json = JSON.parse((await mission(['doctor', '--json'], local)).stdout) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string }[];
    };
    expect(json.ok).toBe(true);
    expect(json.checks.map((check) => [check.name, check.ok])).toEqual([
      ['Redis', true],
      ['Postgres', true],
      ['claude', true],
      ['login', true],
      ['home', true],
      ['API', true],
      ['token', true],
    ]);

    // A fresh HOME without a key: no way to the model (a failure), a home the worker will prepare (not one).
    const freshHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-doctor-home-'));
    const fresh = await mission(['doctor'], { ...local, HOME: freshHome, ANTHROPIC_API_KEY: '' });
    fs.rmSync(freshHome, { recursive: true, force: true });
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toMatch(
      /^✗ login +no ANTHROPIC_API_KEY and no stored login: every prompt would answer "Not logged in"\n.*hint: set ANTHROPIC_API_KEY, or run `claude` once and \/login/m,
    );
    expect(fresh.stdout).toMatch(
      /^✓ home +\S+\.claude\.json is not prepared yet \(a worker prepares it before each session starts\): onboarding is not marked done \(hasCompletedOnboarding\); auto mode is not disabled/m,
    );

    const port = await unusedPort();
    const closed = await mission(['doctor'], { ...local, MISSION_URL: `http://127.0.0.1:${port}` });
    expect(closed.code).toBe(1);
    expect(closed.stdout).toContain(`✗ API       cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    expect(closed.stdout).toMatch(/hint: start it with `mission up`, or set MISSION_URL/);
    expect(closed.stdout).toMatch(/^✗ token +not checked: the API is not reachable$/m);
    const refused = await mission(['doctor', '--json'], { ...local, MISSION_TOKEN: 'msn.tok_wrong.secret' });
    expect(JSON.parse(refused.stdout).checks.at(-1)).toMatchObject({ name: 'token', ok: false, detail: 'MISSION_TOKEN refused (401)' });
  }, 180_000);

  it("doctor --probe sends claude one prompt: ✓ when it answers; a refused key is ✗ in Mission's words with the fix", async () => {
    const local = {
      REDIS_URL: bed.system.config.redisUrl!,
      DATABASE_URL: bed.system.config.databaseUrl!,
      MISSION_CLAUDE_BIN: CLAUDE_BIN,
      ...bed.claude.env,
    };
    replies['Reply with the single word OK.'] = { text: 'OK' };
    const probed = JSON.parse((await mission(['doctor', '--probe', '--json'], local)).stdout) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string; hint?: string }[];
    };
    expect(probed.checks.at(-1)).toMatchObject({ name: 'probe', ok: true, detail: expect.stringMatching(/^claude answered 'OK'/) });
    expect(bed.stub.requests.some((request) => request.lastUserText === 'Reply with the single word OK.')).toBe(true);

    replies['Reply with the single word OK.'] = { error: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' } };
    const refused = await mission(['doctor', '--probe'], local);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /^✗ probe +claude_key_refused: the Anthropic API refused the credentials claude sent \(claude said: Invalid API key/m,
    );
    expect(refused.stdout).toMatch(/hint: check ANTHROPIC_API_KEY \(and ANTHROPIC_BASE_URL when set\); `mission doctor --probe` tries it/);
    delete replies['Reply with the single word OK.'];
  }, 120_000);

  it('usage errors exit 2 with a helpful message; API errors are one line; never a stack trace', async () => {
    const usage = [
      [['frobnicate'], "mission: unknown command 'frobnicate'\nRun `mission help` for usage.\n"],
      [['submit', 'default'], "mission: submit needs <prompt> (got 'default' as <slot>)\nRun `mission help submit` for usage.\n"],
      [['submit', 'default', '  '], "mission: submit needs <prompt> (got 'default' as <slot>)\nRun `mission help submit` for usage.\n"],
      [['ask', 'say hi'], "mission: ask needs <prompt> (got 'say hi' as <slot>)\nRun `mission help ask` for usage.\n"],
      [['ask'], 'mission: ask needs <slot> <prompt>\nRun `mission help ask` for usage.\n'],
      [
        ['submit', 'default', 'hi', '--priority', '101'],
        "mission: --priority must be a whole number from 0 to 100, not '101'\nRun `mission help submit` for usage.\n",
      ],
      [
        ['sessions', '--state', 'sleepy'],
        "mission: --state must be one of starting, idle, working, waiting_permission, blocked, exited, lost, not 'sleepy'\nRun `mission help sessions` for usage.\n",
      ],
      [
        ['answer', 'ses_1abc'],
        'mission: give the option to pick, or --text with an answer in your own words (not both)\nRun `mission help answer` for usage.\n',
      ],
      [
        ['answer', 'ses_1abc', '1', '--text', 'Postgres'],
        'mission: give the option to pick, or --text with an answer in your own words (not both)\nRun `mission help answer` for usage.\n',
      ],
      [
        ['status', 'a', 'b'],
        "mission: status takes <task or session id>; got 'b' too (quote a prompt with spaces)\nRun `mission help status` for usage.\n",
      ],
      // An id of another kind is named for what it is, with the command for it, before the API is asked.
      [
        ['cancel', 'ses_1abc'],
        "mission: 'ses_1abc' is a session's id; cancel takes a task's (task_…): a session ends with `mission kill`\nRun `mission help cancel` for usage.\n",
      ],
      [
        ['kill', 'task_1abc'],
        "mission: 'task_1abc' is a task's id; kill takes a session's (ses_…): a task stops with `mission cancel`\nRun `mission help kill` for usage.\n",
      ],
      [
        ['logs', 'nonsense'],
        "mission: 'nonsense' is not an id Mission gives; logs takes a task's (task_…) or a session's (ses_…)\nRun `mission help logs` for usage.\n",
      ],
      [
        ['approve', 'task_1abc'],
        "mission: 'task_1abc' is a task's id; approve takes an approval's (appr_…): a task stops with `mission cancel`\nRun `mission help approve` for usage.\n",
      ],
      [['attach', 'ses_x', '--json'], 'mission: attach has no --json output\nRun `mission help attach` for usage.\n'],
      [
        ['logs', 'task_1abc', '--tail', '0'],
        "mission: --tail must be a number of events from 1 to 2147483647, not '0'\nRun `mission help logs` for usage.\n",
      ],
      [
        ['logs', 'task_1abc', '--tail', 'ten'],
        "mission: --tail must be a number of events from 1 to 2147483647, not 'ten'\nRun `mission help logs` for usage.\n",
      ],
    ] as const;
    const runs = await Promise.all(usage.map(([args]) => mission([...args])));
    usage.forEach(([args, stderr], index) => expect(runs[index], args.join(' ')).toEqual({ code: 2, stdout: '', stderr }));
    const unknownOption = await mission(['logs', 'task_x', '--folow']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("Unknown option '--folow'");

    expect(await mission(['status', 'ses_missing'])).toEqual({ code: 1, stdout: '', stderr: "mission: session 'ses_missing' not found\n" });
    expect(await mission(['submit', 'nope', 'hi'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^mission: .*unknown slot 'nope'.*\n$/),
    });
    expect(await mission(['status', 'task_x'], { MISSION_TOKEN: 'msn.tok_wrong.secret' })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^mission: [^\n]+\n$/),
    });
    const port = await unusedPort();
    expect(await mission(['sessions'], { MISSION_URL: `http://127.0.0.1:${port}` })).toEqual({
      code: 1,
      stdout: '',
      stderr: `mission: cannot reach the Mission API at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); is it running? (MISSION_URL)\n`,
    });

    expect(await mission(['spawn', 'default', '--driver', 'tmux'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "mission: --driver must be one of hooks, screen, not 'tmux'\nRun `mission help spawn` for usage.\n",
    });

    const help = await mission(['help']);
    expect(help.code).toBe(0);
    for (const command of ['up', 'submit', 'ask', 'status', 'cancel', 'logs', 'sessions', 'attach', 'approve', 'token', 'doctor'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    expect((await mission(['submit', '--help'])).stdout).toMatch(
      /^Usage: mission submit <slot> "<prompt>" \[--priority N\] \[--wait\] \[--follow\] \[--json\]\n/,
    );
  });

  it('attach through a PTY: the screen arrives, typing reaches Claude and its reply shows; Ctrl+] d detaches and the session lives on', async () => {
    const spawned = await bed.system.fetch('/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ slot: 'default' }),
    });
    const session = (await spawned.json()) as Session;
    const sessionState = async () => ((await (await bed.system.fetch(`/v1/sessions/${session.id}`)).json()) as Session).state;
    await waitUntil(async () => (await sessionState()) === 'idle', 30_000, 'the session to be idle');
    replies['Hello from the attached terminal'] = { text: 'Stubbed reply seen through attach.' };

    const listed = JSON.parse((await mission(['sessions', '--state', 'idle', '--json'])).stdout) as { sessions: Session[] };
    expect(listed.sessions.find((s) => s.id === session.id)).toMatchObject({
      id: session.id,
      slot: 'default',
      state: 'idle',
      ownerWorker: bed.system.worker!.id,
      exitCode: null,
    });

    const attached = missionInTerminal(['attach', session.id]);
    try {
      await waitUntil(
        () => attached.shows(`Claude Code v${CLAUDE_VERSION}`),
        20_000,
        `the session's screen in the attached terminal:\n${attached.output()}`,
      );
      attached.child.write('Hello from the attached terminal');
      await waitUntil(() => attached.shows('Hello from the attached terminal'), 10_000, 'the typed text echoed');
      attached.child.write('\r');
      await waitUntil(
        () => attached.shows('Stubbed reply seen through attach.'),
        30_000,
        `Claude's reply in the attached terminal:\n${attached.screen()}`,
      );
      attached.child.write('\x1d');
      attached.child.write('d');
      expect(await attached.exited).toBe(0);
      expect(attached.output()).toContain(`[detached from ${session.id}]`);
      expect(await sessionState()).not.toMatch(/^(exited|lost)$/);

      // The live session's events so far: `logs` without --follow returns once they are printed. The reply's event
      // comes from the transcript when the turn's Stop hook arrives, which may be just after the screen showed it.
      const logged = async () => {
        const logs = await mission(['logs', session.id, '--json']);
        expect(logs.code).toBe(0);
        return logs.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as MissionEvent);
      };
      const replied = (events: MissionEvent[]) =>
        events.some((event) => event.type === 'assistant_message' && event.payload.text === 'Stubbed reply seen through attach.');
      await waitUntil(async () => replied(await logged()), 15_000, "the reply's assistant_message event");
      const events = await logged();
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
      expect(replied(events)).toBe(true);

      // Attached again, the session ends under it: the attach ends too (exit 0), saying so.
      const again = missionInTerminal(['attach', session.id]);
      try {
        await waitUntil(
          () => again.shows('Stubbed reply seen through attach.'),
          20_000,
          `the screen in the second attach:\n${again.screen()}`,
        );
        await bed.system.fetch(`/v1/sessions/${session.id}/kill`, { method: 'POST' });
        expect(await again.exited).toBe(0);
        expect(again.output()).toContain('[session exited]');
      } finally {
        again.close();
      }
      // An ended session cannot be attached: the API's reason, one line, exit 1.
      expect(await mission(['attach', session.id])).toEqual({
        code: 1,
        stdout: '',
        stderr: `mission: session ${session.id} has ended (exited)\n`,
      });
    } finally {
      attached.close();
      await bed.system.fetch(`/v1/sessions/${session.id}/kill`, { method: 'POST' });
    }
  });

  it('send in a terminal: a permission dialog is asked there; y lets the tool run and the reply is printed; n and a reason refuses it, and Claude reads the reason', async () => {
    await bed.system.core.roles.put('asks-before-writing', { description: 'ask before writing', confirm: ['Edit'] }, 'test');
    await bed.system.core.slots.put('asks-before-writing', { role: 'asks-before-writing', cwd: bed.workdir, env: bed.claude.env });
    const spawned = await mission(['spawn', 'asks-before-writing']);
    expect(spawned.code, spawned.stderr).toBe(0);
    const id = spawned.stdout.trim();
    const file = path.join(bed.workdir, 'session-notes.txt');
    replies['Write the session notes'] = {
      text: 'Writing.',
      toolUses: [{ name: 'Write', input: { file_path: file, content: 'notes\n' } }],
    };
    replies[''] = { text: 'Notes written.' };
    const sending = missionInTerminal(['send', id, 'Write the session notes']);
    try {
      await waitUntil(
        () => sending.shows('allow it? y, or n and a reason Claude reads:'),
        60_000,
        'the permission dialog asked in the terminal',
      );
      expect(sending.screen()).toMatch(new RegExp(`${id} asks permission: Write .*session-notes\\.txt`));
      sending.child.write('maybe\r');
      await waitUntil(() => sending.shows('y allows it; n refuses it, and words after n are the reason'), 30_000, 'what it takes');
      sending.child.write('y\r');
      expect(await sending.exited).toBe(0);
      expect(sending.output()).toMatch(/Notes written\.\r?\n$/);
      expect(fs.readFileSync(file, 'utf8')).toBe('notes\n');
      sending.close();

      const refused = path.join(bed.workdir, 'session-secrets.txt');
      replies['Write the session secrets'] = {
        text: 'Writing.',
        toolUses: [{ name: 'Write', input: { file_path: refused, content: 'secret\n' } }],
      };
      replies[''] = { text: 'Left them unwritten.' };
      const refusing = missionInTerminal(['send', id, 'Write the session secrets']);
      try {
        await waitUntil(
          () => refusing.shows('allow it? y, or n and a reason Claude reads:'),
          60_000,
          'the second dialog asked in the terminal',
        );
        refusing.child.write('n secrets stay out of files\r');
        expect(await refusing.exited).toBe(0);
        expect(refusing.output()).toMatch(/Left them unwritten\.\r?\n$/);
      } finally {
        refusing.close();
      }
      expect(fs.existsSync(refused)).toBe(false);
      const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
      expect(told).toContainEqual(expect.stringContaining('secrets stay out of files'));
      const decisions = await bed.system.core.events.list(id, 0, { limit: 1_000 });
      expect(decisions.filter((e) => e.type === 'permission_decision').map((e) => e.payload)).toEqual([
        expect.objectContaining({ tool: 'Write', decision: 'allow' }),
        expect.objectContaining({
          tool: 'Write',
          decision: 'deny',
          reason: expect.stringMatching(/^Mission denied this \(token:.*\): secrets stay out of files$/),
        }),
      ]);
    } finally {
      delete replies[''];
      sending.close();
      await mission(['kill', id]);
    }
  });

  it("send in a terminal: Claude's question in a session is asked there and answered in words; answered elsewhere first, the terminal's question is withdrawn", async () => {
    const spawned = await mission(['spawn', 'default']);
    const id = spawned.stdout.trim();
    replies['Ask me about the database'] = {
      text: 'One question.',
      toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }],
    };
    replies[''] = { text: 'Going with it.' };
    try {
      const answering = missionInTerminal(['send', id, 'Ask me about the database']);
      await waitUntil(() => answering.shows('your answer:'), 60_000, "Claude's question asked in the terminal");
      expect(answering.screen()).toContain(`${id}: Claude asks\n  Database: Which database should we use?\n    1. Postgres\n    2. SQLite`);
      answering.child.write('MariaDB, please\r');
      expect(await answering.exited).toBe(0);
      answering.close();
      expect(answering.output()).toMatch(/Going with it\.\r?\n$/);
      const told = bed.stub.requests.flatMap((request) => request.toolResults).map((result) => result.content);
      expect(told).toContainEqual(expect.stringContaining('"Which database should we use?"="MariaDB, please"'));

      replies['Ask me again about the database'] = replies['Ask me about the database'];
      const waiting = missionInTerminal(['send', id, 'Ask me again about the database']);
      await waitUntil(() => waiting.shows('your answer:'), 60_000, "Claude's question asked in the terminal");
      const elsewhere = await mission(['answer', id, '2']);
      expect(elsewhere.code, elsewhere.stderr).toBe(0);
      expect(await waiting.exited).toBe(0);
      waiting.close();
      expect(waiting.screen()).toContain('(answered elsewhere: the session moved on)');
      expect(waiting.screen()).toContain(`${id} goes on: \`mission logs ${id} --follow\` shows what it does`);
    } finally {
      delete replies[''];
      await mission(['kill', id]);
    }
  });

  it('sessions from the CLI: spawn --attach (ctrl-p,ctrl-q detaches), send, screen, interrupt, kill, resume, kill --cascade', async () => {
    const sessionState = async (id: string) => ((await (await bed.system.fetch(`/v1/sessions/${id}`)).json()) as Session).state;
    const spawned = missionInTerminal(['spawn', 'default', '--attach', '--detach-keys', 'ctrl-p,ctrl-q']);
    let id = '';
    try {
      await waitUntil(
        () => spawned.shows(`Claude Code v${CLAUDE_VERSION}`),
        30_000,
        `the new session's screen in the terminal:\n${spawned.output()}`,
      );
      id = /\[started (ses_\w+) on default\]/.exec(spawned.output())![1]!;
      spawned.child.write('\x10');
      spawned.child.write('\x11');
      expect(await spawned.exited).toBe(0);
      expect(spawned.output()).toContain(`[detached from ${id}]`);
    } finally {
      spawned.close();
    }
    try {
      await waitUntil(async () => (await sessionState(id)) === 'idle', 30_000, 'the session to be idle');
      replies['Hello from mission send'] = { text: 'Reply to mission send.' };
      const sent = await mission(['send', id, 'Hello from mission send', '--json']);
      expect(sent.code, sent.stderr).toBe(0);
      expect(JSON.parse(sent.stdout)).toMatchObject({ state: 'idle', response: 'Reply to mission send.', dialog: null });
      replies['Hello again'] = { text: 'Second reply.' };
      expect(await mission(['send', id, 'Hello again'])).toEqual({ code: 0, stdout: 'Second reply.\n', stderr: '' });

      const screen = await mission(['screen', id]);
      expect(screen.code).toBe(0);
      expect(screen.stdout).toContain('Second reply.');
      expect(JSON.parse((await mission(['screen', id, '--json'])).stdout)).toMatchObject({
        state: 'idle',
        lines: expect.arrayContaining([expect.stringContaining('Second reply.')]),
      });

      expect(JSON.parse((await mission(['interrupt', id, '--json'])).stdout)).toMatchObject({ state: 'idle', dialog: null });

      expect(JSON.parse((await mission(['kill', id, '--json'])).stdout)).toMatchObject({ id, state: 'exited' });
      // Why it ended: on the session, and in the 409 of a command sent to it.
      expect(JSON.parse((await mission(['status', id, '--json'])).stdout)).toMatchObject({
        id,
        state: 'exited',
        exitReason: 'killed on request',
      });
      expect(await mission(['send', id, 'too late'])).toEqual({
        code: 1,
        stdout: '',
        stderr: `mission: session ${id} has ended (exited: killed on request)\n`,
      });

      const resumed = await mission(['resume', id, '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ id, exitReason: null });
      await waitUntil(async () => (await sessionState(id)) === 'idle', 30_000, 'the resumed session to be idle');
      expect(await mission(['kill', id, '--cascade'])).toEqual({ code: 0, stdout: `${id} exited\n`, stderr: '' });
    } finally {
      if (id) await bed.system.fetch(`/v1/sessions/${id}/kill`, { method: 'POST' });
    }
  });

  // spawn's --driver chooses how the worker follows the CLI (hooks unless told): a dialog blocks either way.
  it.each([
    { driver: 'hooks', chosen: [] },
    { driver: 'screen', chosen: ['--driver', 'screen'] },
  ])(
    'a blocked session from the CLI ($driver driver): sessions and status name the dialog and how to get past it; send refuses saying so; answer picks an option',
    async ({ driver, chosen }) => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-cli-blocked-'));
      addProjectMcpServer(folder);
      let id = '';
      try {
        await bed.system.core.slots.put('cli-blocked', { cwd: folder, env: bed.claude.env });
        const spawned = await mission(['spawn', 'cli-blocked', ...chosen, '--json']);
        expect(spawned.code, spawned.stderr).toBe(0);
        id = (JSON.parse(spawned.stdout) as Session).id;
        const session = async () => (await (await bed.system.fetch(`/v1/sessions/${id}`)).json()) as Session;
        await waitUntil(async () => (await session()).state === 'blocked', 30_000, 'the session to be blocked');
        const options = (await session()).blocking!.options;
        const without = options.find((option) => option.label.startsWith('Continue without'))!;
        const offered = options.map((option) => `${option.key}: ${option.label}`).join('; ');

        const listed = await mission(['sessions', '--slot', 'cli-blocked']);
        expect(listed.stdout.split('\n')[1]).toMatch(new RegExp(`^${id} +blocked: mcp_server_approval +cli-blocked `));
        const status = await mission(['status', id]);
        expect(status.code).toBe(0);
        expect(status.stdout).toContain(
          `${id}  blocked\n  waits on        mcp_server_approval dialog ("New MCP server found in this project: notes")\n`,
        );
        expect(status.stdout).toContain(
          `answer it first with POST /v1/sessions/:id/answer (\`mission answer\`, mission_pty_answer), one of: ${offered}`,
        );
        expect(status.stdout).toMatch(new RegExp(`^ {2}driver +${driver}$`, 'm'));

        expect(await mission(['send', id, 'hello?'])).toEqual({
          code: 1,
          stdout: '',
          stderr: `mission: the session shows a mcp_server_approval dialog ("New MCP server found in this project: notes"): answer it first with POST /v1/sessions/:id/answer (\`mission answer\`, mission_pty_answer), one of: ${offered}\n`,
        });
        const answered = await mission(['answer', id, without.key, '--json']);
        expect(answered.code, answered.stderr).toBe(0);
        await waitUntil(async () => (await session()).state === 'idle', 30_000, 'the session to be idle');
        expect((await mission(['status', id])).stdout).not.toContain('waits on');
      } finally {
        if (id) await bed.system.fetch(`/v1/sessions/${id}/kill`, { method: 'POST' });
        fs.rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  it('slots lists each slot with the options it sets (autoResume, warm pool, task cap, budgets, worktree); --json has them all', async () => {
    await bed.system.core.slots.put('optioned', {
      cwd: bed.workdir,
      env: bed.claude.env,
      ...EVERY_SLOT_OPTION,
    });
    const listed = await mission(['slots']);
    expect(listed.code).toBe(0);
    const [header, ...rows] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^SLOT +ROLE +MODEL +STATE +CWD +OPTIONS$/);
    const cwd = bed.workdir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(rows).toContainEqual(
      expect.stringMatching(
        new RegExp(`^optioned +default +— +ready +${cwd} +autoResume, max 3 tasks, \\$5/day, \\$1\\.5/tree, worktree \\(kept\\)$`),
      ),
    );
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^default +default +— +ready +${cwd} +—$`)));
    const json = JSON.parse((await mission(['slots', '--json'])).stdout) as { slots: Record<string, unknown>[] };
    expect(json.slots.find((slot) => slot.id === 'optioned')).toMatchObject(EVERY_SLOT_OPTION);
  });

  it("answer posts the option to POST /v1/sessions/:id/answer; the API's refusal is one line", async () => {
    const answered = await mission(['answer', 'ses_nosuchsession', '1']);
    expect(answered).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^mission: session '?ses_nosuchsession'?.*not found.*\n$/),
    });
    expect((await mission(['answer', 'ses_nosuchsession', 'yes'])).stderr).toMatch(/option/);
  });

  // Four tasks of the real CLI, one after the other, each started cold: on a loaded machine more than a minute.
  it('CI: both jobs of docs/ci/mission-task.yml (also the snippets of docs/cli.md) pass when the task succeeds and fail when it fails', async () => {
    const workflow = YAML.parse(fs.readFileSync(path.join(repoRoot, 'docs/ci/mission-task.yml'), 'utf8')) as {
      jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
    };
    const cliDoc = fs.readFileSync(path.join(repoRoot, 'docs/cli.md'), 'utf8');
    const scripts = Object.entries(workflow.jobs).map(
      ([job, { steps }]) => [job, steps.find((step) => step.name === 'Run the task on Mission')!.run!] as const,
    );
    expect(scripts.map(([job]) => job)).toEqual(['with-cli', 'with-curl']);
    replies['CI: run the checks'] = { text: 'All checks pass.' };
    replies['CI: break the build'] = { error: { status: 400, type: 'invalid_request_error', message: 'stub says: no' } };
    for (const [job, script] of scripts) {
      expect(cliDoc, `${job} in docs/cli.md`).toContain(`\`\`\`sh\n${script}\`\`\``);
      // As GitHub Actions runs a bash step; the CLI job's working directory is a checkout of Mission: this one.
      const run = (prompt: string) =>
        execute('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { SLOT: 'default', PROMPT: prompt });
      const passed = await run('CI: run the checks');
      expect(passed.code, `${job}: ${passed.stderr}`).toBe(0);
      expect(passed.stdout).toMatch(/assistant_message\s+\S*All checks pass\./);
      expect(passed.stdout).toMatch(/task task_\w+:? succeeded/);
      const failed = await run('CI: break the build');
      expect(failed.code, job).not.toBe(0);
      expect(failed.stdout + failed.stderr).toMatch(/task task_\w+:? failed/);
    }
  }, 180_000);

  // Two whole systems start here (the first one's embedded Postgres with its migrations, a worker, the API), on a
  // machine that may be loaded: its readiness alone took over a minute beside the stress runs and another test run.
  const UP_TEST_TIMEOUT_MS = 180_000;
  it(
    'up runs the whole system (as npm start does) until it is stopped; a second one on its port says the port is taken',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-cli-up-'));
      const port = await unusedPort();
      const upIn = (folder: string) =>
        spawn(process.execPath, [bin, 'up'], {
          cwd: repoRoot,
          env: {
            ...process.env,
            PORT: String(port),
            REDIS_URL: redisUrl(),
            DATABASE_URL: '',
            MISSION_QUEUE_PREFIX: uniquePrefix(),
            MISSION_DATA_DIR: folder,
            MISSION_SLOTS_FILE: path.join(folder, 'slots.yaml'),
            MISSION_PERMISSIONS_FILE: path.join(folder, 'permissions.yaml'),
            LOG_LEVEL: 'warn',
          },
        });
      const up = upIn(dataDir);
      const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitUntil(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, 150_000, 'mission up to be ready');
        // Auth is off, as with npm start: no token needed.
        expect(await mission(['sessions'], { MISSION_URL: url, MISSION_TOKEN: '' })).toEqual({
          code: 0,
          stdout: 'no sessions\n',
          stderr: '',
        });
        const secondDir = path.join(dataDir, 'second');
        const second = upIn(secondDir);
        let secondOutput = '';
        second.stderr.on('data', (chunk: Buffer) => (secondOutput += chunk.toString()));
        expect(await new Promise((resolve) => second.once('exit', resolve))).toBe(1);
        expect(secondOutput).toContain(
          `mission: invalid configuration:\n  PORT: 127.0.0.1:${port} is taken (another Mission, or another server, listens there): stop it, or set PORT to a free port\n`,
        );
        up.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        up.kill('SIGKILL');
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    UP_TEST_TIMEOUT_MS,
  );
});
