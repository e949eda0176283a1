import fs from 'node:fs';
import path from 'node:path';
import {
  type Approval,
  CONTINUE_AFTER_LIMIT_PROMPT,
  CONTINUE_AFTER_LOSS_PROMPT,
  type MissionEvent,
  type Session,
  type SessionTurn,
} from '@mission/contracts';
import { SessionStore } from '@mission/store';
import { HeadlessTerminal, withClaudeConfig, withClaudeSettings } from '@mission/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ClaudeHome, prepareClaudeHome } from './support/claudeEnv.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { usageLimitError } from './support/firstRunScenarios.ts';
import type { StubReply } from './support/stubAnthropic.ts';
import { waitUntil } from './support/processes.ts';
import { readSse } from './support/sse.ts';
import { FLEET_ENV, jsonApi, manageWorkers, startWorkerProcess, type WorkerProcess } from './support/workerProcess.ts';

/** A command the CLI asks permission for (`touch` is no read-only command). */
const CHECK_COMMAND = 'touch made-by-check.txt && echo check-ran';

interface SessionJson {
  id: string;
  state: string;
  ownerWorker: string | null;
  claudeSessionId: string | null;
}
interface StateEventJson {
  seq: number;
  payload: { state: string; reason?: string; resumable?: boolean; autoResume?: boolean; limitTurnOpen?: boolean };
}

describe('sessions of an autoResume slot survive their worker', () => {
  let bed: ClaudeTestBed;
  const workers: WorkerProcess[] = [];
  /** Replies to the model requests of a conversation, in order, by its first prompt (made when its request comes). */
  const scripts: Record<string, (() => StubReply)[]> = {};

  beforeAll(async () => {
    bed = await startClaudeTestBed({ inProcessWorker: false, env: FLEET_ENV });
    await api('/v1/slots/survivor', { method: 'PUT', body: { cwd: bed.workdir, env: bed.claude.env, autoResume: true } });
    bed.stub.respond((request) => {
      const scripted =
        request.tools.length > 0 ? Object.entries(scripts).find(([prompt]) => request.conversation.includes(prompt)) : undefined;
      if (scripted) return scripted[1].shift()?.();
      const remember = /^Remember the word: (\w+)\.$/.exec(request.lastUserText);
      if (remember) return { text: `I will remember ${remember[1]}.` };
      // Asked first, and again once the resumed session is told to go on (the CLI does not ask again by itself).
      if (request.lastUserText === 'Run the check.' || request.lastUserText === CONTINUE_AFTER_LOSS_PROMPT)
        return { text: 'Running it.', toolUses: [{ name: 'Bash', input: { command: CHECK_COMMAND, description: 'Check' } }] };
      if (request.toolResults.length > 0) return { text: `The check printed ${request.toolResults.at(-1)!.content.trim()}.` };
      if (request.lastUserText === 'Which word did I ask you to remember?') {
        const word = /Remember the word: (\w+)\./.exec(JSON.stringify(request.body.messages))?.[1];
        return { text: word ? `You asked me to remember ${word}.` : 'I have no earlier conversation.' };
      }
      return undefined;
    });
  });
  manageWorkers(workers, () => bed?.close());

  const api = jsonApi(() => bed.system);
  const session = (id: string) => api<SessionJson>(`/v1/sessions/${id}`);
  const send = (id: string, text: string) =>
    api<{ response: string }>(`/v1/sessions/${id}/send`, { method: 'POST', body: { text, timeoutMs: 30_000 } });
  const stateEvents = async (id: string): Promise<StateEventJson[]> =>
    (await bed.system.core.events.list(id))
      .filter((e) => e.type === 'state')
      .map((e) => ({ seq: e.seq, payload: e.payload as StateEventJson['payload'] }));
  const startWorker = async (id: string) => {
    const worker = await startWorkerProcess(bed.system, id, { MISSION_WORKER_CONCURRENCY: '1' });
    workers.push(worker);
    return worker;
  };

  /** A session of the autoResume slot that has been told a word, and the worker holding it. */
  async function sessionRemembering(
    word: string,
    slot = 'survivor',
  ): Promise<{ id: string; claudeSessionId: string; owner: WorkerProcess }> {
    const spawned = await api<SessionJson>('/v1/sessions', { method: 'POST', body: { slot } });
    expect((await send(spawned.id, `Remember the word: ${word}.`)).response).toContain(`I will remember ${word}.`);
    const { claudeSessionId, ownerWorker } = await session(spawned.id);
    return { id: spawned.id, claudeSessionId: claudeSessionId!, owner: workers.find((w) => w.id === ownerWorker)! };
  }

  /** Waits until the session is in `state` on another worker than `gone`, by itself (nobody asks for a resume here); resolves its row. */
  async function onAnotherWorker(id: string, gone: WorkerProcess, state: 'idle' | 'blocked', what: string): Promise<Session> {
    await waitUntil(
      async () => {
        const now = await session(id);
        return now.ownerWorker !== null && now.ownerWorker !== gone.id && now.state === state;
      },
      45_000,
      what,
    );
    return api<Session>(`/v1/sessions/${id}`);
  }
  const resumedElsewhere = (id: string, gone: WorkerProcess) =>
    onAnotherWorker(id, gone, 'idle', 'the session to come back on another worker by itself');

  /** Its events tell the loss (a resume expected), then Mission's own resume, then the claim of the new worker. */
  async function expectLossThenAutoResume(id: string, lostReason: RegExp): Promise<void> {
    const states = await stateEvents(id);
    const lost = states.findLastIndex((e) => e.payload.state === 'lost');
    expect(lost).toBeGreaterThan(-1);
    expect(states[lost]!.payload).toMatchObject({ resumable: true });
    expect(states[lost]!.payload.reason).toMatch(lostReason);
    const [resuming, claimed] = states.slice(lost + 1);
    expect(resuming?.payload).toMatchObject({ state: 'starting', autoResume: true });
    expect(resuming?.payload.reason).toMatch(/resuming Claude Code session .* on another worker \(the slot sets autoResume\)/);
    expect(claimed?.payload.reason).toMatch(/^resumed on worker /);
    // Exactly one resume for the loss, however many processes swept.
    expect(states.filter((e) => e.payload.autoResume === true)).toHaveLength(1);
  }

  it('kill -9 of the owning worker: the session comes back on the other worker by itself, with its conversation and its attached terminal', async () => {
    await startWorker('survive-a');
    await startWorker('survive-b');
    const { id, claudeSessionId, owner } = await sessionRemembering('tangerine');
    // A terminal attached before the loss: it stays attached, and shows the claude resumed elsewhere.
    const socket = new WebSocket(`${bed.system.url.replace('http', 'ws')}/v1/sessions/${id}/attach`, { headers: bed.system.auth });
    const terminal = new HeadlessTerminal({ cols: 120, rows: 40 });
    let shown = '';
    socket.on('message', (data) => {
      shown += data.toString();
      terminal.write(data.toString());
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    await waitUntil(() => shown.length > 0, 15_000, 'the attached screen');

    owner.child.kill('SIGKILL');
    const resumed = await resumedElsewhere(id, owner);
    expect(resumed.claudeSessionId).toBe(claudeSessionId);
    await expectLossThenAutoResume(id, new RegExp(`^the worker holding it \\(${owner.id}\\) was lost`));
    expect((await send(id, 'Which word did I ask you to remember?')).response).toContain('You asked me to remember tangerine.');
    expect(shown).toContain('[mission: session lost (the worker holding it');
    await waitUntil(
      () => terminal.screen().lines.some((line) => line.includes('You asked me to remember tangerine.')),
      15_000,
      'the resumed conversation in the attached terminal',
    );
    expect(socket.readyState).toBe(WebSocket.OPEN);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    await api(`/v1/sessions/${id}/kill`, { method: 'POST' });
    expect(await closed).toBe(1000);
    terminal.dispose();
  }, 120_000); // two worker processes to start, as the stranded-resume case below: the same budget (60 s did not hold under load)

  it('SIGTERM of the owning worker: the session is handed over to another worker, not ended; its event stream goes on through it', async () => {
    await startWorker('survive-c');
    const { id, claudeSessionId, owner } = await sessionRemembering('pomegranate');
    // The session's event stream, followed from now: it goes on through the handover, up to the resumed idle.
    const after = (await stateEvents(id)).at(-1)!.seq;
    let resuming = false;
    const following = readSse(await bed.system.fetch(`/v1/sessions/${id}/events?after=${after}`), (message) => {
      const event = message.id ? (JSON.parse(message.data) as { type: string; payload: StateEventJson['payload'] }) : undefined;
      if (event?.type === 'state' && event.payload.autoResume) resuming = true;
      return resuming && event?.type === 'state' && event.payload.state === 'idle';
    });

    owner.child.kill('SIGTERM');
    expect(await owner.exited).toBe(0);
    const resumed = await resumedElsewhere(id, owner);
    expect(resumed.claudeSessionId).toBe(claudeSessionId);
    await expectLossThenAutoResume(id, /^the worker shut down; /);
    const streamed = (await following)
      .filter((message) => message.id)
      .map((message) => JSON.parse(message.data) as { type: string; payload: StateEventJson['payload'] });
    expect(
      streamed.filter((event) => event.type === 'state').map((event) => [event.payload.state, event.payload.autoResume ?? false]),
    ).toEqual([
      ['lost', false],
      ['starting', true],
      ['starting', false],
      ['idle', false],
    ]);
    expect((await send(id, 'Which word did I ask you to remember?')).response).toContain('You asked me to remember pomegranate.');
    await api(`/v1/sessions/${id}/kill`, { method: 'POST' });
  });
  it('kill -9 while a permission waits for its approval: that approval expires, the resumed session asks again — a new one', async () => {
    await startWorker('survive-d');
    const spawned = await api<SessionJson>('/v1/sessions', { method: 'POST', body: { slot: 'survivor' } });
    const turn = await api<{ state: string; approval: { id: string } | null }>(`/v1/sessions/${spawned.id}/send`, {
      method: 'POST',
      body: { text: 'Run the check.', timeoutMs: 30_000 },
    });
    expect(turn.state).toBe('waiting_permission');
    const first = turn.approval!.id;
    const owner = workers.find((w) => w.id === spawned.ownerWorker)!;

    owner.child.kill('SIGKILL');
    await waitUntil(
      async () => {
        const now = await session(spawned.id);
        return now.ownerWorker !== owner.id && now.state === 'waiting_permission';
      },
      45_000,
      'the resumed session to ask for the permission again',
    );
    expect(await api<Approval>(`/v1/approvals/${first}`)).toMatchObject({ status: 'expired' });
    const pending = (await api<{ approvals: Approval[] }>('/v1/approvals?status=pending')).approvals.filter(
      (approval) => approval.owner.id === spawned.id,
    );
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ tool: 'Bash', input: { command: CHECK_COMMAND } });
    expect(pending[0]!.id).not.toBe(first);
    // The loss, Mission's resume saying the turn goes on, then the prompt that took it on.
    await expectLossThenAutoResume(spawned.id, new RegExp(`^the worker holding it \\(${owner.id}\\) was lost`));
    const states = await stateEvents(spawned.id);
    expect(states.find((e) => e.payload.autoResume)?.payload.reason).toMatch(/its turn, stopped at a permission request, goes on/);
    const prompts = (await bed.system.core.events.list(spawned.id)).filter((e) => e.type === 'user_message');
    expect(prompts.map((e) => (e.payload as { text: string }).text)).toEqual(['Run the check.', CONTINUE_AFTER_LOSS_PROMPT]);

    await api(`/v1/approvals/${pending[0]!.id}/approve`, { method: 'POST', body: {} });
    await waitUntil(async () => (await session(spawned.id)).state === 'idle', 30_000, 'the approved turn to end');
    expect(fs.existsSync(path.join(bed.workdir, 'made-by-check.txt'))).toBe(true);
    const replies = (await bed.system.core.events.list(spawned.id)).filter((e) => e.type === 'assistant_message');
    expect((replies.at(-1)?.payload as { text: string }).text).toBe('The check printed check-ran.');
    await api(`/v1/sessions/${spawned.id}/kill`, { method: 'POST' });
  }, 150_000);

  it('a resume whose job was never queued (its process stopped between the two) is queued again by the sweep', async () => {
    await api('/v1/slots/later', { method: 'PUT', body: { cwd: bed.workdir, env: bed.claude.env } });
    await startWorker('survive-f');
    await startWorker('survive-g');
    const { id, claudeSessionId, owner } = await sessionRemembering('fig', 'later');
    owner.child.kill('SIGKILL');
    // The slot does not set autoResume yet: the session is lost and stays so.
    await waitUntil(async () => (await session(id)).state === 'lost', 15_000, 'the session to be reported lost');
    // What a handover does first, without the job it queues next: as if its process stopped in between. Done
    // before the slot sets autoResume: the process that declared the loss may not have asked yet whether to resume
    // it (it asks right after), and with autoResume set it would resume it itself, job and all.
    const store = new SessionStore({ db: bed.system.core.database.db, events: bed.system.core.events });
    expect(await store.resume(id, 'lost', 'the process handing it over stops here', { autoResume: true })).toBe(true);
    await api('/v1/slots/later', { method: 'PUT', body: { cwd: bed.workdir, env: bed.claude.env, autoResume: true } });

    const resumed = await resumedElsewhere(id, owner);
    expect(resumed.claudeSessionId).toBe(claudeSessionId);
    const states = await stateEvents(id);
    // Queued once: one worker took it.
    expect(states.filter((e) => e.payload.reason?.startsWith('resumed on worker '))).toHaveLength(1);
    expect((await send(id, 'Which word did I ask you to remember?')).response).toContain('You asked me to remember fig.');
    await api(`/v1/sessions/${id}/kill`, { method: 'POST' });
  }, 120_000);
  describe("lost while its session waits for the slot's usage limit", () => {
    /** A claude.ai subscriber's home: its limit comes with a reset, and the CLI's usage-limit menu. */
    let subscriber: ClaudeHome;
    beforeAll(() => {
      const trustedDirs = [fs.realpathSync(bed.workdir)];
      subscriber = prepareClaudeHome({
        apiUrl: bed.stub.url,
        trustedDirs,
        auth: 'oauth',
        files: { config: withClaudeConfig({}, { trustedDirs }), settings: withClaudeSettings({}) },
      });
    });
    afterAll(async () => {
      await subscriber?.remove();
    });

    const sessionEvents = async (id: string) => (await bed.system.core.events.list(id, 0, { limit: 1_000 })) as MissionEvent[];
    const prompts = async (id: string) =>
      (await sessionEvents(id)).filter((e) => e.type === 'user_message').map((e) => (e.payload as { text: string }).text);
    /** A turn that runs a tool, is refused by `limit`, and ends once it goes on. */
    const echoThen = (limit: () => StubReply): (() => StubReply)[] => [
      () => ({ text: 'Echoing.', toolUses: [{ name: 'Bash', input: { command: 'echo limit-marker', description: 'Echo a marker' } }] }),
      limit,
      () => ({ text: 'Went on after the limit.' }),
    ];
    /** A session of an autoResume slot of its own (a pause holds a whole slot) whose turn a usage limit stopped. */
    async function sessionAtLimit(slot: string, home: ClaudeHome, prompt: string): Promise<{ id: string; owner: WorkerProcess }> {
      await api(`/v1/slots/${slot}`, {
        method: 'PUT',
        body: {
          cwd: bed.workdir,
          env: { ...home.env, CLAUDE_CODE_MAX_RETRIES: '0' },
          args: ['--allowedTools', 'Bash(echo:*)'],
          autoResume: true,
        },
      });
      const spawned = await api<SessionJson>('/v1/sessions', { method: 'POST', body: { slot } });
      const turn = await api<SessionTurn>(`/v1/sessions/${spawned.id}/send`, { method: 'POST', body: { text: prompt, timeoutMs: 60_000 } });
      expect(turn.state).toBe('blocked');
      await waitUntil(async () => (await sessionEvents(spawned.id)).some((e) => e.type === 'slot_paused'), 15_000, 'the slot paused');
      const { ownerWorker } = await session(spawned.id);
      return { id: spawned.id, owner: workers.find((w) => w.id === ownerWorker)! };
    }
    /** Waits until the session is held by the limit again on another worker than `gone`; resolves its row. */
    const blockedElsewhere = (id: string, gone: WorkerProcess) =>
      onAnotherWorker(id, gone, 'blocked', 'the session to wait for the limit again on another worker');

    it('kill -9 while its stopped turn waits: resumed elsewhere, it waits blocked with nothing typed; the early resume of the slot types one continue', async () => {
      await startWorker('limit-a');
      await startWorker('limit-b');
      const prompt = 'Echo a marker, then hit the rate limit.';
      scripts[prompt] = echoThen(() => ({
        error: { status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' },
      }));
      const { id, owner } = await sessionAtLimit('limit-survivor', bed.claude, prompt);
      const paused = (await sessionEvents(id)).find((e) => e.type === 'slot_paused')!;
      const until = (paused.payload as { until: string }).until;
      expect((await stateEvents(id)).at(-1)!.payload).toMatchObject({ state: 'blocked', limitTurnOpen: true });

      owner.child.kill('SIGKILL');
      const held = await blockedElsewhere(id, owner);
      expect(held.blocking).toMatchObject({ kind: 'usage_limit', options: [] });
      expect(held.blocking?.text).toContain(`the slot takes work again at ${until}`);
      await expectLossThenAutoResume(id, new RegExp(`^the worker holding it \\(${owner.id}\\) was lost`));
      const resuming = (await stateEvents(id)).find((e) => e.payload.autoResume)!;
      expect(resuming.payload.reason).toMatch(
        /; it waits again for its slot's usage limit to reset, then the turn the limit stopped goes on$/,
      );
      // Nothing typed while the slot is paused, and nothing may be.
      const refused = await bed.system.fetch(`/v1/sessions/${id}/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'hello?', timeoutMs: 5_000 }),
      });
      expect(refused.status).toBe(409);
      expect(await prompts(id)).toEqual([prompt]);
      expect(bed.stub.conversationRequests(prompt)).toHaveLength(2);

      await api('/v1/slots/limit-survivor/resume', { method: 'POST' });
      await waitUntil(
        async () => (await sessionEvents(id)).some((e) => e.type === 'assistant_message' && e.payload.text === 'Went on after the limit.'),
        30_000,
        'the stopped turn to go on',
      );
      await waitUntil(async () => (await session(id)).state === 'idle', 15_000, 'the session idle');
      const events = await sessionEvents(id);
      const resumed = events.find((e) => e.type === 'slot_resumed')!;
      expect(resumed.payload).toEqual({ slot: 'limit-survivor', by: 'token:test-admin' });
      expect(await prompts(id)).toEqual([prompt, CONTINUE_AFTER_LIMIT_PROMPT]);
      expect(events.find((e) => e.type === 'user_message' && e.payload.text === CONTINUE_AFTER_LIMIT_PROMPT)!.seq).toBeGreaterThan(
        resumed.seq,
      );
      expect(events.filter((e) => e.type === 'tool_call')).toHaveLength(1);
      // The conversation went on where it stopped (the marker's output in it) with one continue, nothing more.
      const conversation = bed.stub.conversationRequests(prompt);
      expect(conversation).toHaveLength(3);
      expect(conversation[2]!.lastUserText).toBe(CONTINUE_AFTER_LIMIT_PROMPT);
      expect(JSON.stringify(conversation[2]!.body.messages)).toContain('limit-marker');
      await api(`/v1/sessions/${id}/kill`, { method: 'POST' });
    }, 150_000);

    it('SIGTERM after its stopped turn was interrupted: handed over, it waits blocked until the reset, then is idle with nothing typed', async () => {
      await startWorker('limit-c');
      await startWorker('limit-d');
      const prompt = 'Echo a marker, then hit the usage limit.';
      scripts[prompt] = echoThen(() => usageLimitError(30));
      const { id, owner } = await sessionAtLimit('limit-interrupted', subscriber, prompt);
      const paused = (await sessionEvents(id)).find((e) => e.type === 'slot_paused')!;
      const until = (paused.payload as { until: string }).until;
      await api(`/v1/sessions/${id}/interrupt`, { method: 'POST' });
      // The hold tells again that its turn is over.
      expect((await stateEvents(id)).at(-1)!.payload).toMatchObject({ state: 'blocked', limitTurnOpen: false });

      owner.child.kill('SIGTERM');
      expect(await owner.exited).toBe(0);
      const held = await blockedElsewhere(id, owner);
      expect(held.blocking?.text).toContain(`the slot takes work again at ${until}`);
      expect(Date.now()).toBeLessThan(Date.parse(until));
      await expectLossThenAutoResume(id, /^the worker shut down; /);
      const resuming = (await stateEvents(id)).find((e) => e.payload.autoResume)!;
      expect(resuming.payload.reason).toMatch(/; it waits again for its slot's usage limit to reset$/);

      await waitUntil(async () => (await sessionEvents(id)).some((e) => e.type === 'slot_resumed'), 45_000, 'the reset');
      await waitUntil(async () => (await session(id)).state === 'idle', 15_000, 'the session idle after the reset');
      const events = await sessionEvents(id);
      expect(events.find((e) => e.type === 'slot_resumed')!.payload).toEqual({ slot: 'limit-interrupted', by: 'reset' });
      expect(await prompts(id)).toEqual([prompt]);
      expect(bed.stub.conversationRequests(prompt)).toHaveLength(2);
      await api(`/v1/sessions/${id}/kill`, { method: 'POST' });
    }, 150_000);
  });
});
