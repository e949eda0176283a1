import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CcOverview, type CcSession, type CcSessionList, type CcTodo } from '@mission/contracts';
import { createLogger, tables } from '@mission/store';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeHomeScanner } from '../services/worker/src/transcripts/claudeHomeScanner.ts';
import { parseTaskFile } from '../services/worker/src/transcripts/taskFile.ts';
import { parseTranscript } from '../services/worker/src/transcripts/transcript.ts';
import { countsOf } from './support/ccCounts.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';

/** A HOME recorded from Claude Code 2.1.331 (`claude -p` on the stub): a prompt, three TaskCreate, two TaskUpdate, an answer. */
const FIXTURE_HOME = path.join(import.meta.dirname, 'fixtures', 'transcripts', 'home');
const FIXTURE_SESSION = '805d28f8-9ba8-4335-906e-92d69c731da6';
const FIXTURE_TRANSCRIPT = path.join(FIXTURE_HOME, '.claude', 'projects', '-tmp-rec-work-m2HIW1', `${FIXTURE_SESSION}.jsonl`);
const fixtureText = () => fs.readFileSync(FIXTURE_TRANSCRIPT, 'utf8');
const quiet = createLogger({ level: 'silent', name: 'cc-records-test' });

describe('Claude Code transcript parser, on a transcript the real CLI wrote', () => {
  it('reads the session: id, cwd, branch, first prompt, counts, model, last activity, answered', () => {
    expect(parseTranscript(fixtureText())).toEqual({
      sessionId: FIXTURE_SESSION,
      cwd: '/tmp/rec-work-m2HIW1',
      gitBranch: 'HEAD',
      firstPrompt: 'plan the work please',
      summary: null,
      model: 'claude-opus-5-5',
      userMessages: 1,
      assistantMessages: 3,
      toolUses: 5,
      lastActivity: expect.stringMatching(/^2026-11-25T20:46:/),
      awaitingAnswer: false,
    });
  });

  it('ignores a torn last line and records of types it does not know', () => {
    const lines = fixtureText().trimEnd().split('\n');
    const unknown = JSON.stringify({ type: 'some-future-record', timestamp: '2020-01-01T00:00:00.000Z', message: { content: 42 } });
    const torn = '{"parentUuid":"x","type":"user","message":{"role":"user","content":"half a li';
    const parsed = parseTranscript([lines[0], unknown, ...lines.slice(1), 'null', '[1,2]', torn].join('\n'));
    expect(parsed).toEqual(parseTranscript(fixtureText()));
  });

  it('a turn cut after the prompt or a tool result waits for an answer; the title the CLI writes is the summary', () => {
    const lines = fixtureText().trimEnd().split('\n');
    const firstAssistant = lines.findIndex((line) => JSON.parse(line).type === 'assistant');
    expect(parseTranscript(lines.slice(0, firstAssistant).join('\n'))).toMatchObject({
      firstPrompt: 'plan the work please',
      assistantMessages: 0,
      awaitingAnswer: true,
    });
    const lastToolResult = lines.findLastIndex((line) => JSON.stringify(JSON.parse(line).message ?? '').includes('tool_result'));
    expect(parseTranscript(lines.slice(0, lastToolResult + 1).join('\n')).awaitingAnswer).toBe(true);
    const titled = [...lines, JSON.stringify({ type: 'ai-title', aiTitle: 'Planning the work', sessionId: FIXTURE_SESSION })].join('\n');
    expect(parseTranscript(titled).summary).toBe('Planning the work');
  });

  it('never throws on garbage', () => {
    for (const text of [
      '',
      '\n\n',
      'not json',
      '{"type":"user","message":null}',
      '{"type":"assistant","message":{"content":[null,1,"x"]}}',
      '\u0000{"a":',
    ]) {
      expect(() => parseTranscript(text)).not.toThrow();
    }
  });

  it('reads task files; a torn or unknown one is skipped', () => {
    const taskDir = path.join(FIXTURE_HOME, '.claude', 'tasks', FIXTURE_SESSION);
    expect(parseTaskFile(fs.readFileSync(path.join(taskDir, '2.json'), 'utf8'))).toEqual({
      id: '2',
      content: 'Test the parser',
      status: 'in_progress',
      activeForm: 'Testing the parser',
    });
    expect(parseTaskFile('{"id":"4","subject":"x","status":"pend')).toBeUndefined();
    expect(parseTaskFile('{"id":"4","subject":"x","status":"deleted"}')).toBeUndefined();
  });

  it('scans a HOME: sessions with their task lists; missing HOMEs have none', async () => {
    const sessions = await new ClaudeHomeScanner(quiet).scan([FIXTURE_HOME, path.join(os.tmpdir(), 'no-such-home-here')], 'w1');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: FIXTURE_SESSION, workerId: 'w1', projectDir: '-tmp-rec-work-m2HIW1', inProgress: false });
    expect(sessions[0]!.todos.map((todo) => [todo.content, todo.status])).toEqual([
      ['Write the parser', 'completed'],
      ['Test the parser', 'in_progress'],
      ['Ship it', 'pending'],
    ]);
  });

  it('a transcript that grew since the last scan is read again; one that is gone is forgotten', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-home-'));
    fs.cpSync(FIXTURE_HOME, home, { recursive: true });
    const scanner = new ClaudeHomeScanner(quiet);
    const [before] = await scanner.scan([home], 'w1');
    const transcript = path.join(home, '.claude', 'projects', before!.projectDir, `${FIXTURE_SESSION}.jsonl`);
    const firstUser = fixtureText()
      .split('\n')
      .find((line) => line.includes('"type":"user"') && line.includes('plan the work please'))!;
    fs.appendFileSync(transcript, `${firstUser.replace('plan the work please', 'one more prompt')}\n`);
    const [after] = await scanner.scan([home], 'w1');
    expect(after!.userMessages).toBe(before!.userMessages + 1);
    expect(await scanner.scan([home], 'w1')).toEqual([after]);
    fs.rmSync(transcript);
    expect(await scanner.scan([home], 'w1')).toEqual([]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a record that cannot be read is skipped and logged; the other sessions are still listed', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-home-'));
    fs.cpSync(FIXTURE_HOME, home, { recursive: true });
    // A folder where a transcript is expected: reading it fails (EISDIR), as an unreadable file would.
    const unreadable = path.join(home, '.claude', 'projects', '-tmp-rec-work-m2HIW1', 'not-a-file.jsonl');
    fs.mkdirSync(unreadable);
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', name: 'cc-records-test' }, { write: (line: string) => lines.push(line) });
    const sessions = await new ClaudeHomeScanner(logger).scan([home], 'w1');
    expect(sessions.map((session) => session.id)).toEqual([FIXTURE_SESSION]);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        msg: "could not read Claude Code's records: skipped",
        path: unreadable,
        err: expect.objectContaining({ code: 'EISDIR' }),
      }),
    ]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  // A worker running as root scans its agents' homes for the fleet's records (mission_cc_sessions): a transcript an
  // agent linked to a file it may not read (the worker's, another agent's) was read and its first prompt shown.
  it.skipIf(process.getuid?.() !== 0)(
    "an agent's home (another user's) is read only in the agent's own files: a link out of it is skipped",
    async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-home-'));
      const worker = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-worker-'));
      fs.cpSync(FIXTURE_HOME, home, { recursive: true });
      const project = path.join(home, '.claude', 'projects', '-tmp-rec-work-m2HIW1');
      const secret = path.join(worker, 'other.jsonl');
      fs.writeFileSync(secret, fixtureText().replace('plan the work please', 'a prompt of the worker only'), { mode: 0o600 });
      fs.symlinkSync(secret, path.join(project, 'linked.jsonl'));
      fs.symlinkSync(worker, path.join(home, '.claude', 'projects', '-linked-folder'));
      // The agent user's home, as the worker hands it over (nobody stands for the agent user).
      execFileSync('chown', ['-R', '-h', '65534:65534', home]);
      const lines: string[] = [];
      const logger = createLogger({ level: 'warn', name: 'cc-records-test' }, { write: (line: string) => lines.push(line) });
      const sessions = await new ClaudeHomeScanner(logger).scan([home], 'w1');
      expect(sessions.map((session) => session.firstPrompt)).toEqual(['plan the work please']);
      expect(JSON.stringify(sessions)).not.toContain('worker only');
      expect(lines.map((line) => JSON.parse(line).path).sort()).toEqual(
        [path.join(home, '.claude/projects/-linked-folder/other.jsonl'), path.join(project, 'linked.jsonl')].sort(),
      );
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(worker, { recursive: true, force: true });
    },
  );
});

describe('Claude Code records end to end: real claude CLI on the stub, reported by the worker', () => {
  let bed: ClaudeTestBed;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    // Claude Code 2.1.331 on the stub offers its task tools only when they are allowed by name ("disabled for this session" otherwise).
    await bed.system.core.slots.put('planner', {
      cwd: bed.workdir,
      env: bed.claude.env,
      args: ['--allowedTools', 'TaskCreate', 'TaskUpdate'],
    });
  });
  afterAll(async () => bed?.close());

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  const ccSessions = async (query = '') => (await call<CcSessionList>('GET', `/v1/cc/sessions${query}`)).body;

  it('a task (claude -p): found on its worker with its cwd, first prompt and counts', async () => {
    bed.stub.enqueue({ text: 'Records are kept.' });
    const submitted = await call<{ id: string }>('POST', '/v1/tasks', { prompt: 'are records kept?' });
    expect(submitted.status).toBe(202);
    let task = { status: '', claudeSessionId: null as string | null };
    await waitUntil(
      async () => ['succeeded', 'failed'].includes((task = (await call<typeof task>('GET', `/v1/tasks/${submitted.body.id}`)).body).status),
      60_000,
      'the task to end',
    );
    expect(task.status).toBe('succeeded');

    const list = await ccSessions(`?cwd=${encodeURIComponent(fs.realpathSync(bed.workdir))}`);
    expect(list.workers).toEqual([{ workerId: bed.system.worker!.id, ok: true, sessions: expect.any(Number) }]);
    expect(list.sessions.find((session) => session.id === task.claudeSessionId)).toMatchObject({
      workerId: bed.system.worker!.id,
      cwd: fs.realpathSync(bed.workdir),
      projectDir: fs.realpathSync(bed.workdir).replace(/[/.]/g, '-'),
      firstPrompt: 'are records kept?',
      userMessages: 1,
      assistantMessages: 1,
      toolUses: 0,
      model: expect.any(String),
      inProgress: false,
      todos: [],
    });
    expect((await ccSessions('?cwd=/no/such/dir')).sessions).toEqual([]);
    expect((await call<{ error: { code: string } }>('GET', '/v1/cc/sessions?limit=0')).status).toBe(400);
  });

  it('a PTY session keeps a task list (TaskCreate, TaskUpdate): /tasks gives the todos, overview counts them; mid-turn it is in progress', async () => {
    const spawned = await call<{ id: string; claudeSessionId: string }>('POST', '/v1/sessions', { slot: 'planner' });
    expect(spawned.status).toBe(201);
    const claudeSessionId = spawned.body.claudeSessionId;
    bed.stub.enqueue(
      {
        text: 'Planning.',
        toolUses: [
          { name: 'TaskCreate', input: { subject: 'Read the transcripts', description: 'jsonl', activeForm: 'Reading the transcripts' } },
          { name: 'TaskCreate', input: { subject: 'Count the todos', description: 'tasks', activeForm: 'Counting the todos' } },
        ],
      },
      { text: 'One done.', toolUses: [{ name: 'TaskUpdate', input: { taskId: '1', status: 'completed' } }] },
      { text: 'Planned.' },
    );
    const planned = await call<{ state: string }>('POST', `/v1/sessions/${spawned.body.id}/send`, {
      text: 'plan the records work',
      timeoutMs: 30_000,
    });
    expect(planned.status).toBe(200);
    expect(bed.stub.requests.flatMap((request) => request.toolResults).filter((result) => result.isError)).toEqual([]);

    const tasks = await call<{ session: string; workerId: string; todos: CcTodo[] }>('GET', `/v1/cc/sessions/${claudeSessionId}/tasks`);
    expect(tasks.status).toBe(200);
    expect(tasks.body).toMatchObject({ session: claudeSessionId, workerId: bed.system.worker!.id });
    expect(tasks.body.todos.map((todo) => [todo.content, todo.status])).toEqual([
      ['Read the transcripts', 'completed'],
      ['Count the todos', 'pending'],
    ]);
    // The CLI writes the answer's record a moment after its screen goes idle.
    const ours = async () => (await ccSessions(`?cwd=${encodeURIComponent(fs.realpathSync(bed.workdir))}`)).sessions;
    await waitUntil(async () => countsOf(await ours()).inProgress === 0, 10_000, 'the answer to be recorded');
    expect(countsOf(await ours())).toEqual({ sessions: 2, inProgress: 0, todos: { completed: 1, pending: 1, in_progress: 0 } });
    const overview = (await call<CcOverview>('GET', '/v1/cc/overview')).body;
    const everything = countsOf((await ccSessions('?limit=1000')).sessions);
    expect(overview).toMatchObject(everything);
    expect(overview.perWorker).toEqual([{ workerId: bed.system.worker!.id, ...everything }]);
    expect((await call<{ error: { code: string } }>('GET', '/v1/cc/sessions/no-such-session/tasks')).status).toBe(404);

    bed.stub.enqueue({ text: 'Slowly but surely.', chunks: 10, chunkDelayMs: 600 });
    const turn = call('POST', `/v1/sessions/${spawned.body.id}/send`, { text: 'take your time', timeoutMs: 30_000 });
    const mine = (list: CcSessionList) => list.sessions.find((session) => session.id === claudeSessionId);
    let during: CcSession | undefined;
    await waitUntil(
      async () => Boolean((during = mine((await call<CcSessionList>('GET', '/v1/cc/in-progress')).body))),
      15_000,
      'the session to be in progress',
    );
    expect(during).toMatchObject({ firstPrompt: 'plan the records work', userMessages: 2, inProgress: true });
    expect((await call<CcOverview>('GET', '/v1/cc/overview')).body.inProgress).toBe(1);

    expect((await turn).status).toBe(200);
    await waitUntil(async () => !mine((await call<CcSessionList>('GET', '/v1/cc/in-progress')).body), 15_000, 'the session to be answered');
    expect(mine(await ccSessions(`?worker=${bed.system.worker!.id}`))).toMatchObject({
      inProgress: false,
      userMessages: 2,
      assistantMessages: 4,
      toolUses: 3,
    });
    await call('POST', `/v1/sessions/${spawned.body.id}/kill`);
  });

  it('a worker that does not answer in time is reported, not an error for the whole call', async () => {
    const { database } = bed.system.core;
    await database.db
      .insert(tables.workers)
      .values({ id: 'cc-silent-worker', host: 'nowhere', pid: 1, capacity: 1, maxSessions: 1, state: 'active' });
    try {
      const list = await ccSessions();
      expect(list.workers).toContainEqual({
        workerId: 'cc-silent-worker',
        ok: false,
        sessions: 0,
        error: expect.stringContaining('did not answer'),
      });
      expect(list.workers).toContainEqual(expect.objectContaining({ workerId: bed.system.worker!.id, ok: true }));
      expect(list.sessions.filter((session) => session.cwd === fs.realpathSync(bed.workdir))).toHaveLength(2);
    } finally {
      await database.db.delete(tables.workers).where(eq(tables.workers.id, 'cc-silent-worker'));
    }
  }, 30_000);
});
