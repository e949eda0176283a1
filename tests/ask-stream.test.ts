import type { Approval, Task } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SseMessage, SseParser } from '../packages/cli/src/sse.ts';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import { DATABASE_QUESTION } from './support/questions.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';

/**
 * `POST /v1/ask` answered as Server-Sent Events (`Accept: text/event-stream`), on the real claude CLI against the stub
 * API: `task` once the task is submitted, then `answer` or `error` when it ends. With `?askerAnswers=true` Claude's
 * questions wait as approvals for the asker, who knows the task from the `task` message (`mission ask` in a terminal
 * answers them there).
 */
describe('POST /v1/ask as a stream (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  let replies: Record<string, StubReply[]>;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** The ask's messages as they come; `abort` hangs up. */
  async function askStream(prompt: string, query = '') {
    const abort = new AbortController();
    const response = await bed.system.fetch(`/v1/ask${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt, timeoutMs: 60_000 }),
      signal: abort.signal,
    });
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    const buffered: SseMessage[] = [];
    return {
      response,
      abort: () => abort.abort(),
      /** The next message (null at the stream's end). */
      async next(): Promise<SseMessage | null> {
        while (buffered.length === 0) {
          const { value, done } = await reader.read();
          if (done) return null;
          buffered.push(...parser.push(decoder.decode(value, { stream: true })));
        }
        return buffered.shift()!;
      },
    };
  }

  const asksDatabase = (prompt: string, after: string) =>
    (replies[prompt] = [
      { text: 'One question first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }] },
      { text: after },
    ]);
  /** What Claude read back from its question (the tool's result in the model request after it). */
  const toldClaude = (prompt: string) =>
    bed.stub
      .conversationRequests(prompt)
      .flatMap((request) => request.toolResults)
      .map((result) => result.content);

  it('`task` once submitted, then `answer` with {answer, task}; without askerAnswers Claude is told at once that nobody can answer', async () => {
    asksDatabase('stream: which database?', 'I assumed Postgres.');
    const asked = await askStream('stream: which database?');
    expect(asked.response.status).toBe(200);
    expect(asked.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const submitted = await asked.next();
    expect(submitted?.event).toBe('task');
    const task = JSON.parse(submitted!.data) as Task;
    expect(task).toMatchObject({ id: expect.stringMatching(/^task_/), prompt: 'stream: which database?' });
    const answered = await asked.next();
    expect(answered?.event).toBe('answer');
    expect(JSON.parse(answered!.data)).toMatchObject({ answer: 'I assumed Postgres.', task: { id: task.id, status: 'succeeded' } });
    expect(await asked.next()).toBeNull();
    expect(toldClaude('stream: which database?')).toEqual([expect.stringMatching(/^Nobody can answer questions here/)]);
  });

  it("with ?askerAnswers=true Claude's question waits as an approval of the streamed task; approved with answers, Claude reads them and the answer follows", async () => {
    asksDatabase('stream: pick for me', 'SQLite it is.');
    const asked = await askStream('stream: pick for me', '?askerAnswers=true');
    const task = JSON.parse((await asked.next())!.data) as Task;
    let pending: Approval[] = [];
    await waitUntil(
      async () => {
        pending = (await bed.system.call<{ approvals: Approval[] }>('GET', `/v1/approvals?status=pending`)).body.approvals.filter(
          (approval) => approval.owner.id === task.id,
        );
        return pending.length > 0;
      },
      60_000,
      "the streamed task's question to wait as an approval",
    );
    expect(pending).toMatchObject([{ tool: 'AskUserQuestion', owner: { kind: 'task', id: task.id } }]);
    expect((await bed.system.call('POST', `/v1/approvals/${pending[0]!.id}/approve`, { answers: [{ option: '2' }] })).status).toBe(200);
    const answered = await asked.next();
    expect(answered?.event).toBe('answer');
    expect(JSON.parse(answered!.data)).toMatchObject({ answer: 'SQLite it is.', task: { id: task.id, status: 'succeeded' } });
    expect(toldClaude('stream: pick for me')).toEqual([expect.stringContaining('"Which database should we use?"="SQLite"')]);
  });

  it('a task that fails ends the stream with `error`: the code and message the JSON ask answers, the task in details', async () => {
    // Refused however often the CLI sends it.
    const refused: StubReply = { error: { status: 400, type: 'invalid_request_error', message: 'stub says: refused' } };
    replies['stream: fail'] = Array.from({ length: 10 }, () => refused);
    const asked = await askStream('stream: fail');
    const task = JSON.parse((await asked.next())!.data) as Task;
    const failed = await asked.next();
    expect(failed?.event).toBe('error');
    expect(JSON.parse(failed!.data)).toMatchObject({
      code: 'task_failed',
      message: expect.stringMatching(new RegExp(`^task ${task.id} failed: .*stub says: refused`)),
      details: { task: { id: task.id, status: 'failed' } },
    });
  });

  it('an asker that hangs up the stream goes away as one of the JSON ask does: its task is cancelled', async () => {
    replies['stream: slow'] = [{ text: 'slow '.repeat(100), chunks: 100, chunkDelayMs: 200 }];
    const asked = await askStream('stream: slow');
    const task = JSON.parse((await asked.next())!.data) as Task;
    await waitUntil(
      () => bed.stub.requests.some((request) => request.lastUserText === 'stream: slow'),
      60_000,
      'the prompt to reach the model',
    );
    asked.abort();
    expect(await bed.system.core.tasks.waitForEnd(task.id, 60_000)).toMatchObject({ status: 'cancelled' });
  });

  it('askerAnswers=true without the stream is a 400, and from a token that may not decide approvals a 403, both saying why, and nothing runs; a refusal before the task exists stays an HTTP error', async () => {
    const before = bed.stub.requests.length;
    const json = await bed.system.call<{ error: { code: string; message: string } }>('POST', '/v1/ask?askerAnswers=true', {
      prompt: 'never run',
    });
    expect(json.status).toBe(400);
    expect(json.body.error.message).toMatch(/^askerAnswers=true needs the answer as a stream \(Accept: text\/event-stream\)/);
    const unknownSlot = await bed.system.fetch('/v1/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ slot: 'nowhere', prompt: 'never run' }),
    });
    // The asker answers by approving: a token that may not decide approvals is refused the option, nothing run.
    const { token } = await bed.system.core.tokens.create({ name: 'asks-only', scopes: ['tasks:write'] }, 'test');
    const refused = await fetch(`${bed.system.url}/v1/ask?askerAnswers=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt: 'never run' }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^askerAnswers=true needs a token that may decide approvals \(approvals:write\)/,
    );
    expect(unknownSlot.status).toBe(400);
    expect(await unknownSlot.json()).toEqual({
      error: { code: 'bad_request', message: "invalid task: unknown slot 'nowhere'; known slots: default" },
    });
    expect(bed.stub.requests.length).toBe(before);
  });
});
