import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MissionEvent, Session, SessionScreen, SessionTurn } from '@mission/contracts';
import { HeadlessTerminal } from '@mission/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { transcriptsOf } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { processesIn, untilQuiet, waitUntil } from './support/processes.ts';
import { scenarios, type Step } from './support/scenarios.ts';
import { readSse } from './support/sse.ts';
import { CLAUDE_VERSION } from './fixtures/recordings.ts';

/**
 * Every recorded scenario, live: the real claude CLI in a PTY on the worker, against the stub API,
 * driven only through the REST API.
 */
describe('interactive sessions through REST (real claude CLI)', () => {
  let bed: ClaudeTestBed;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);

  async function spawn(): Promise<Session> {
    const res = await call<Session>('POST', '/v1/sessions', { slot: 'default' });
    expect(res.status).toBe(201);
    expect(res.body.ownerWorker).toBe(bed.system.worker!.id);
    return res.body;
  }

  /** The session's screen; an answer that is not one fails with what it was (a run failed on `lines` of an error body). */
  const screenOf = async (id: string) => {
    const { status, body } = await call<SessionScreen>('GET', `/v1/sessions/${id}/screen?format=json`);
    if (status !== 200) throw new Error(`GET /v1/sessions/${id}/screen answered ${status}: ${JSON.stringify(body)}`);
    return body;
  };

  async function waitForScreen(id: string, test: (screen: SessionScreen) => boolean, what: string): Promise<SessionScreen> {
    return readUntil(
      () => screenOf(id),
      test,
      (screen) => `no ${what}; the screen:\n${screen.lines.join('\n')}`,
    );
  }

  /**
   * Reads until `test` holds (30 s at most): the screen is live, and the CLI redraws all of it (clears, then draws)
   * when it is continued after a stop (Ink's SIGCONT handler), which the stress mode does in bursts.
   */
  async function readUntil<T>(read: () => Promise<T>, test: (value: T) => boolean, failure: (last: T) => string): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await read();
      if (test(value)) return value;
      if (Date.now() > deadline) throw new Error(failure(value));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * The session's stored events, once the worker has written those of the screen as it is now (a session that has
   * ended answers the screen read with 409: its events are all written).
   */
  async function events(id: string): Promise<MissionEvent[]> {
    const { status } = await call('GET', `/v1/sessions/${id}/screen?format=json`);
    expect([200, 409]).toContain(status);
    return bed.system.core.events.list(id);
  }

  /** Plays a scenario's steps through REST: commands run while the next waits watch the screen. */
  async function play(
    name: string,
  ): Promise<{ session: Session; turns: SessionTurn[]; statuses: number[]; checkpoints: Record<string, SessionScreen> }> {
    const scenario = scenarios.find((s) => s.name === name)!;
    scenario.prepare({ workdir: bed.workdir, stub: bed.stub });
    const session = await spawn();
    const pending: Promise<{ status: number; body: SessionTurn }>[] = [];
    const checkpoints: Record<string, SessionScreen> = {};
    const command = (step: Exclude<Step, { waitFor: string[] }>) => {
      if ('send' in step) return call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, { text: step.send, timeoutMs: 30_000 });
      if ('confirm' in step) return call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: step.confirm });
      if ('answer' in step) return call<SessionTurn>('POST', `/v1/sessions/${session.id}/answer`, { option: step.answer });
      return call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`);
    };
    for (const step of scenario.steps) {
      if ('waitFor' in step) {
        const shows = (screen: SessionScreen) => {
          const text = screen.lines.join('\n');
          return step.waitFor.every((part) => text.includes(part)) && !(step.absent ?? []).some((part) => text.includes(part));
        };
        checkpoints[step.checkpoint] = await waitForScreen(session.id, shows, `${name}/${step.checkpoint} screen`);
      } else {
        // A confirm or interrupt answers the turn a send started: let the send's wait see the dialog first.
        if (!('send' in step)) await settled(pending.at(-1), step);
        pending.push(command(step));
      }
    }
    const results = await Promise.all(pending);
    return { session, turns: results.map((r) => r.body), statuses: results.map((r) => r.status), checkpoints };
  }

  /** Waits for the previous command's answer unless the step is the interrupt of a turn still in flight. */
  async function settled(previous: Promise<unknown> | undefined, step: Step): Promise<void> {
    if (previous && !('interrupt' in step)) await previous;
  }

  it('startup: the session goes idle and its row says so', async () => {
    const { session, checkpoints } = await play('startup-idle');
    expect(checkpoints.idle?.state).toBe('idle');
    const stored = (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
    expect(stored).toMatchObject({ state: 'idle', slot: 'default', cols: 120, rows: 40, exitCode: null });
    expect(stored.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);
    // The screen as text: what it shows once drawn whole (not in the middle of a redraw after a SIGCONT).
    const text = await readUntil(
      async () => (await call<string>('GET', `/v1/sessions/${session.id}/screen`)).body,
      (body) => body.includes(`Claude Code v${CLAUDE_VERSION}`),
      (body) => `the text screen never showed the banner:\n${body}`,
    );
    expect(text).toContain(`Claude Code v${CLAUDE_VERSION}`);
    expect(text).toContain('? for shortcuts');
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('plain answer: send returns the reply; the events tell the turn', async () => {
    const { session, turns, statuses } = await play('plain-answer');
    expect(statuses).toEqual([200]);
    expect(turns[0]).toEqual({ state: 'idle', response: 'Hello from the stub.', dialog: null, approval: null });
    const types = (await events(session.id)).map((e) => (e.type === 'state' ? `state:${e.payload.state}` : e.type));
    expect(types).toContain('assistant_message');
    expect(types.indexOf('state:working')).toBeLessThan(types.lastIndexOf('state:idle'));
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('a prompt that wraps on the screen is one user_message with all of its words, before the answer', async () => {
    const prompt = `${Array.from({ length: 45 }, (_, i) => `word${i}`).join(' ')} and that is the end of this long prompt`;
    bed.stub.respond((request) => (request.tools.length > 0 ? { text: 'I read your long prompt.' } : { text: 'side request' }));
    const session = await spawn();
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, { text: prompt, timeoutMs: 30_000 });
    expect(turn.body.response).toBe('I read your long prompt.');
    // Read until drawn whole: a CLI continued after a stop (the stress mode's bursts) clears its screen, then redraws it.
    const wrapped = (screen: SessionScreen) => screen.lines.filter((line) => line.includes('word')).length;
    expect(wrapped(await waitForScreen(session.id, (screen) => wrapped(screen) > 1, 'the prompt wrapped'))).toBeGreaterThan(1);
    const conversation = (await events(session.id))
      .filter((e) => e.type === 'user_message' || e.type === 'assistant_message')
      .map((e) => [e.type, e.payload.text]);
    expect(conversation).toEqual([
      ['user_message', prompt],
      ['assistant_message', 'I read your long prompt.'],
    ]);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('long streamed answer: working while it streams, then the whole text', async () => {
    const { session, turns, checkpoints } = await play('long-answer');
    expect(checkpoints.working?.state).toBe('working');
    expect(turns[0]?.state).toBe('idle');
    expect(turns[0]?.response?.split('\n')).toHaveLength(12);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('Bash approved: send reports the dialog, confirm yes runs it and returns the answer', async () => {
    const { session, turns, statuses } = await play('bash-approve');
    expect(statuses).toEqual([200, 200]);
    // The slot's role has no rules: no rule matches, so the dialog waits for an approval.
    expect(turns[0]).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Bash', target: 'touch made-by-bash.txt && echo mission-bash-ok' },
      approval: { id: expect.stringMatching(/^appr_/), url: expect.stringContaining('/approvals/') },
    });
    expect(turns[0]?.dialog?.options.map((o) => o.meaning)).toEqual(['yes', 'yes_always', 'no']);
    expect(turns[1]).toEqual({ state: 'idle', response: 'The command printed mission-bash-ok.', dialog: null, approval: null });
    expect(fs.existsSync(path.join(bed.workdir, 'made-by-bash.txt'))).toBe(true);
    const log = await events(session.id);
    expect(log.filter((e) => e.type === 'tool_output').map((e) => e.payload.output)).toContain('mission-bash-ok');
    expect(log.filter((e) => e.type === 'permission_request')).toHaveLength(1);
    expect(log.find((e) => e.type === 'approval_requested')?.payload).toMatchObject({
      approvalId: turns[0]?.approval?.id,
      tool: 'Bash',
      rule: null,
    });
    // confirm decided the approval, as the caller (the test's admin token).
    expect(log.find((e) => e.type === 'permission_decision')?.payload).toEqual({
      tool: 'Bash',
      decision: 'allow',
      by: 'token:test-admin',
      approvalId: turns[0]?.approval?.id,
    });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('Bash denied: confirm no, the command never runs', async () => {
    const { session, turns } = await play('bash-deny');
    expect(turns[0]).toMatchObject({ state: 'waiting_permission', dialog: { tool: 'Bash', target: 'rm -rf precious' } });
    expect(turns[1]?.state).toBe('idle');
    expect(fs.existsSync(path.join(bed.workdir, 'precious', 'keep.txt'))).toBe(true);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it.each([
    { scenario: 'write-approve', tool: 'Write', file: 'notes.txt', response: 'I created notes.txt.', content: 'first line\nsecond line\n' },
    { scenario: 'edit-approve', tool: 'Edit', file: 'greeting.txt', response: 'I changed the greeting.', content: 'hello mission\n' },
  ])(
    '$scenario: the $tool dialog names $file; approved, the file has the new content',
    async ({ scenario, tool, file, response, content }) => {
      const { session, turns } = await play(scenario);
      expect(turns[0]).toMatchObject({ state: 'waiting_permission', dialog: { tool, target: file } });
      expect(turns[1]).toEqual({ state: 'idle', response, dialog: null, approval: null });
      expect(fs.readFileSync(path.join(bed.workdir, file), 'utf8')).toBe(content);
      await call('POST', `/v1/sessions/${session.id}/kill`);
    },
  );

  it('interrupt while working: back to the prompt with the partial answer', async () => {
    const { session, turns, checkpoints } = await play('interrupt');
    expect(checkpoints.working?.state).toBe('working');
    const [send, interrupt] = turns;
    expect(interrupt?.state).toBe('idle');
    expect(send?.state).toBe('idle');
    expect(interrupt?.response).toMatch(/^word0 word1 word2/);
    expect(interrupt?.response).not.toContain('word59');
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('/exit: the CLI ends, the session is exited with code 0 and its event stream ends', async () => {
    const { session, turns } = await play('exit');
    expect(turns[0]?.state).toBe('exited');
    const stream = await readSse(await bed.system.fetch(`/v1/sessions/${session.id}/events`));
    const last = stream.filter((m) => m.id).at(-1);
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ type: 'state', payload: { state: 'exited', exitCode: 0 } });
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body).toMatchObject({ state: 'exited', exitCode: 0 });
    const again = await call<{ error: { code: string } }>('POST', `/v1/sessions/${session.id}/send`, { text: 'anyone?' });
    expect(again.status).toBe(409);
  });

  it('a claude that exits on its own with an error: the exited event says why, in its own words', async () => {
    const session = await spawn();
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, { text: 'remember this', timeoutMs: 30_000 });
    expect(turn.body.state).toBe('idle');
    const { claudeSessionId } = (await call<Session>('GET', `/v1/sessions/${session.id}`)).body;
    await waitUntil(() => transcriptsOf(bed.claude, claudeSessionId!).length === 1, 30_000, 'the conversation to be saved');
    await call('POST', `/v1/sessions/${session.id}/kill`);
    // Its saved conversation damaged (a prompt's record without its message): the CLI finds no conversation there.
    fs.writeFileSync(
      transcriptsOf(bed.claude, claudeSessionId!)[0]!,
      `${JSON.stringify({ parentUuid: null, type: 'user', message: null, uuid: randomUUID(), sessionId: claudeSessionId })}\n`,
    );
    expect((await call<Session>('POST', `/v1/sessions/${session.id}/resume`)).status).toBe(200);
    await waitUntil(
      async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'exited',
      30_000,
      'the resumed session to exit',
    );
    const exited = (await events(session.id)).filter((e): e is Extract<MissionEvent, { type: 'state' }> => e.type === 'state').at(-1)!;
    expect(exited.payload).toEqual({
      state: 'exited',
      exitCode: 1,
      // The last lines it printed, as it printed them (it names the conversation it would have resumed, too).
      reason: `claude exited with code 1; it printed:\nNo conversation found with session ID: ${claudeSessionId}\nResume this session with:\nclaude --resume ${claudeSessionId}`,
    });
  });

  it('kill: the claude process and its children are gone; the session is exited', async () => {
    const before = new Set(processesIn(bed.workdir));
    const session = await spawn();
    await waitForScreen(session.id, (s) => s.state === 'idle', 'idle');
    const started = processesIn(bed.workdir).filter((pid) => !before.has(pid));
    expect(started.length).toBeGreaterThan(0);
    const killed = await call<Session>('POST', `/v1/sessions/${session.id}/kill`);
    expect(killed.status).toBe(200);
    expect(killed.body.state).toBe('exited');
    // How claude ended, as it did: by its own exit on SIGTERM, or by the SIGKILL a kill sends a claude that has not
    // exited within a second (seen in a stress run on a machine with twice the test's CPU load).
    const ended = killed.body.exitCode !== null ? { exitCode: killed.body.exitCode } : { exitCode: null, signal: 'SIGKILL' };
    expect(killed.body).toMatchObject(ended);
    expect(processesIn(bed.workdir).filter((pid) => started.includes(pid))).toEqual([]);
    // Ended on purpose: no error reason quoting the screen, and not resumable.
    const exited = (await events(session.id)).filter((e): e is Extract<MissionEvent, { type: 'state' }> => e.type === 'state').at(-1);
    expect(exited?.payload).toEqual({ state: 'exited', ...ended });
  });

  it('a wedged CLI: send gives up after its timeout with 504 and an error event', async () => {
    const before = new Set(processesIn(bed.workdir));
    const session = await spawn();
    await waitForScreen(session.id, (s) => s.state === 'idle', 'idle');
    const [pid] = processesIn(bed.workdir).filter((p) => !before.has(p));
    bed.stress?.exempt(pid!);
    // Stopped once it has finished what it was writing: stopped mid-frame, its screen is half drawn, and a send then
    // (rightly) waits for the frame's end instead of typing, which this test is not about.
    await untilQuiet(() => [pid!], 200, 'claude to finish drawing before it is stopped');
    process.kill(pid!, 'SIGSTOP');
    try {
      const res = await call<{ error: { code: string; message: string } }>('POST', `/v1/sessions/${session.id}/send`, {
        text: 'are you there?',
        timeoutMs: 1_500,
      });
      expect(res.status).toBe(504);
      // The prompt typed is the session's open turn (the CLI takes it once it runs again): it is working, and takes no
      // other prompt meanwhile.
      expect(res.body.error.message).toMatch(/^timed out after \d+ ms waiting for the reply \(the session is working\)$/);
      expect((await screenOf(session.id)).state).toBe('working');
      const errors = (await events(session.id)).filter((e) => e.type === 'error');
      expect(errors.at(-1)?.payload).toMatchObject({ code: 'timeout' });
    } finally {
      process.kill(pid!, 'SIGCONT');
      await call('POST', `/v1/sessions/${session.id}/kill`);
    }
  });

  it('attach over WebSocket: the screen first, then live output; keystrokes reach the CLI', async () => {
    const session = await spawn();
    await waitForScreen(session.id, (s) => s.state === 'idle', 'idle');
    const socket = new WebSocket(`${bed.system.url.replace('http', 'ws')}/v1/sessions/${session.id}/attach`, { headers: bed.system.auth });
    // What a browser's xterm.js does with the frames: render them.
    const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
    const shows = (text: string) => terminal.screen().lines.some((line) => line.includes(text));
    socket.on('message', (data) => terminal.write(data.toString()));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    await waitUntil(() => shows(`Claude Code v${CLAUDE_VERSION}`), 15_000, 'the serialized screen');
    socket.send(JSON.stringify({ type: 'input', data: 'typed-over-the-socket' }));
    await waitUntil(() => shows('typed-over-the-socket'), 15_000, 'the typed text in the attached terminal');
    await waitForScreen(session.id, (s) => s.lines.some((l) => l.includes('typed-over-the-socket')), 'the typed text on the screen');
    socket.send('not json');
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await call('POST', `/v1/sessions/${session.id}/kill`);
    expect(await closed).toBe(1000);
    terminal.dispose();
  });

  it('bad requests: unknown slot 400, unknown session 404, bad choice 400, no dialog 409', async () => {
    const unknown = await call<{ error: { message: string } }>('POST', '/v1/sessions', { slot: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe("invalid session: unknown slot 'nope'; known slots: default");
    expect((await call('POST', '/v1/sessions', { slot: 'default', cols: 5 })).status).toBe(400);
    expect((await call('GET', '/v1/sessions/ses_missing')).status).toBe(404);
    const session = await spawn();
    await waitForScreen(session.id, (s) => s.state === 'idle', 'idle');
    expect((await call('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'maybe' })).status).toBe(400);
    expect((await call('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' })).status).toBe(409);
    expect((await call('POST', `/v1/sessions/${session.id}/send`, {})).status).toBe(400);
    const listed = await call<{ sessions: Session[] }>('GET', '/v1/sessions?state=idle');
    expect(listed.body.sessions.map((s) => s.id)).toContain(session.id);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });
});
