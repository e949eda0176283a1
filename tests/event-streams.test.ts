import http from 'node:http';
import type { MissionEvent, MissionEventDraft } from '@mission/contracts';
import { createRedis, EventLog } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from './support/sse.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

/** Opens an event stream with a socket the test reads only when told: a subscriber that falls behind. */
function pausedStream(system: TestSystem, path: string): Promise<{ response: http.IncomingMessage; readAll(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const request = http.get(system.url + path, { headers: system.auth }, (response) => {
      response.pause();
      resolve({
        response,
        readAll: () =>
          new Promise((done) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => done(text));
            response.resume();
          }),
      });
    });
    request.once('error', reject);
  });
}

/** A task that stays queued (no worker): the test writes its events, after its `queued` state (seq 1). */
async function queuedTask(system: TestSystem): Promise<string> {
  const res = await system.fetch('/v1/tasks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'fan out' }),
  });
  return ((await res.json()) as { id: string }).id;
}

describe('event streams under fan-out', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // No worker: the task stays queued and the test writes its events.
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(async () => system?.close());

  it('a subscriber that does not read holds back only itself; every stream gets every event once, in order', async () => {
    const res = await system.fetch('/v1/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'fan out' }),
    });
    const { id } = (await res.json()) as { id: string };
    const slow = await pausedStream(system, `/v1/tasks/${id}/events`);
    // Each event is its frame alone on the wire: the body is not chunked and ends with the connection.
    expect(slow.response.headers['transfer-encoding']).toBeUndefined();
    expect(slow.response.headers.connection).toBe('close');
    const readers = await Promise.all([1, 2].map(() => system.fetch(`/v1/tasks/${id}/events`)));
    const reading = readers.map((stream) => readSse(stream, (message) => message.event === 'end'));

    // 300 events of 8 KB: far more than the sockets buffer, so the slow one's writes must wait.
    const text = 'x'.repeat(8 * 1024);
    const owner = { kind: 'task' as const, id };
    for (let i = 0; i < 300; i++) await system.core.events.append(owner, { type: 'assistant_message', payload: { text: `${i} ${text}` } });
    await system.core.events.append(owner, { type: 'state', payload: { state: 'cancelled' } });

    for (const messages of await Promise.all(reading)) {
      const events = messages.filter((m) => m.event !== 'end').map((m) => JSON.parse(m.data) as MissionEvent);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === 'assistant_message')).toHaveLength(300);
      expect(messages.at(-1)?.event).toBe('end');
    }
    // The slow one, read at last, lost nothing either.
    const slowText = await slow.readAll();
    const seqs = [...slowText.matchAll(/^id: (\d+)$/gm)].map(([, seq]) => Number(seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBe(302);
    expect(slowText.trimEnd().endsWith('event: end\ndata: {}')).toBe(true);
  }, 60_000);

  it('streams opened while events keep coming each get every event once, in order (the hub hands over what it sent meanwhile)', async () => {
    const id = await queuedTask(system);
    const owner = { kind: 'task' as const, id };
    const first = system.fetch(`/v1/tasks/${id}/events`).then((stream) => readSse(stream, (message) => message.event === 'end'));
    const later: Promise<SseMessage[]>[] = [];
    for (let i = 0; i < 60; i++) {
      // A stream opened every few events, its stored events read while the hub delivers live ones to the others.
      if (i % 4 === 0)
        later.push(system.fetch(`/v1/tasks/${id}/events`).then((stream) => readSse(stream, (message) => message.event === 'end')));
      await system.core.events.append(owner, { type: 'assistant_message', payload: { text: `line ${i}` } });
    }
    await system.core.events.append(owner, { type: 'state', payload: { state: 'cancelled' } });
    for (const messages of await Promise.all([first, ...later])) {
      expect(messages.filter((m) => m.event !== 'end').map((m) => Number(m.id))).toEqual(Array.from({ length: 62 }, (_, i) => i + 1));
      expect(messages.at(-1)?.event).toBe('end');
    }
  }, 60_000);

  it('a live reader that falls too far behind gets an error with the seq to resume after, and resuming from it loses nothing', async () => {
    const id = await queuedTask(system);
    const owner = { kind: 'task' as const, id };
    const slow = await pausedStream(system, `/v1/tasks/${id}/events`);
    // Far more than the socket buffers and the hub's bound together: the slow reader must be dropped.
    const text = 'y'.repeat(64 * 1024);
    const count = 400;
    await system.core.events.append(owner, { type: 'assistant_message', payload: { text: `0 ${text}` } });
    for (let i = 1; i < count; i++)
      await system.core.events.append(owner, { type: 'assistant_message', payload: { text: `${i} ${text}` } });
    await system.core.events.append(owner, { type: 'state', payload: { state: 'cancelled' } });

    const slowText = await slow.readAll();
    const seqs = [...slowText.matchAll(/^id: (\d+)$/gm)].map(([, seq]) => Number(seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBeLessThan(count);
    const error = /event: error\ndata: (.*)\n\n$/.exec(slowText);
    expect(JSON.parse(error![1]!)).toMatchObject({ code: 'unavailable', details: { afterSeq: seqs.at(-1) } });

    const resumed = await readSse(
      await system.fetch(`/v1/tasks/${id}/events`, { headers: { 'last-event-id': String(seqs.at(-1)) } }),
      (message) => message.event === 'end',
    );
    const rest = resumed.filter((m) => m.event !== 'end').map((m) => Number(m.id));
    expect([...seqs, ...rest]).toEqual(Array.from({ length: count + 2 }, (_, i) => i + 1));
  }, 120_000);

  it('?last=N starts at the last N stored events, then follows; Last-Event-ID still resumes; with ?after= or under 1 it is a 400', async () => {
    const id = await queuedTask(system);
    const owner = { kind: 'task' as const, id };
    for (let i = 0; i < 4; i++) await system.core.events.append(owner, { type: 'assistant_message', payload: { text: `line ${i}` } });
    const ids = (messages: SseMessage[]) => messages.filter((m) => m.event !== 'end').map((m) => Number(m.id));
    const stored = async (query: string, headers: Record<string, string> = {}) =>
      ids(await readSse(await system.fetch(`/v1/tasks/${id}/events?${query}`, { headers }), (m) => m.event === 'end'));

    expect(await stored('last=2&follow=false')).toEqual([4, 5]);
    expect(await stored('last=1&follow=false')).toEqual([5]);
    expect(await stored('last=50&follow=false')).toEqual([1, 2, 3, 4, 5]);
    // A reconnect sends the same URL with the seq it got to: that wins.
    expect(await stored('last=2&follow=false', { 'last-event-id': '2' })).toEqual([3, 4, 5]);

    // Its response begins once its start is taken (the headers come after it): the events written then are new ones.
    const following = readSse(await system.fetch(`/v1/tasks/${id}/events?last=1`), (m) => m.event === 'end');
    await system.core.events.append(owner, { type: 'assistant_message', payload: { text: 'live' } });
    await system.core.events.append(owner, { type: 'state', payload: { state: 'cancelled' } });
    expect(ids(await following)).toEqual([5, 6, 7]);

    for (const [query, message] of [
      ['after=1&last=2', '?after= and ?last= do not go together'],
      ['last=0', 'last'],
      ['last=two', 'last'],
    ]) {
      const refused = await system.fetch(`/v1/tasks/${id}/events?${query}`);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(message);
    }
  });

  it('two writers bursting on one owner at once get consecutive seqs, each in its own order', async () => {
    const owner = { kind: 'task' as const, id: 'task_two_writers' };
    const burst = (writer: string) =>
      Array.from({ length: 50 }, (_, i): MissionEventDraft => ({ type: 'assistant_message', payload: { text: `${writer}${i}` } }));
    const a = system.core.events.appender(owner);
    const b = system.core.events.appender(owner);
    await Promise.all([...burst('a').map((draft) => a.add(draft)), ...burst('b').map((draft) => b.add(draft))]);
    await Promise.all([a.flushed(), b.flushed()]);
    const stored = await system.core.events.list(owner.id);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    for (const writer of ['a', 'b']) {
      const mine = stored.map((e) => (e.payload as { text: string }).text).filter((text) => text.startsWith(writer));
      expect(mine).toEqual(burst(writer).map((draft) => (draft.payload as { text: string }).text));
    }
  });

  it('a batch is stored before it is published: when publishing fails, a reader still replays all of it in order', async () => {
    const owner = { kind: 'task' as const, id: 'task_publish_fails' };
    const gone = createRedis(system.config.redisUrl!, 'test-closed-publisher');
    gone.disconnect();
    const log = new EventLog(system.core.database.db, gone, system.config.queuePrefix);
    const drafts = Array.from({ length: 5 }, (_, i): MissionEventDraft => ({ type: 'assistant_message', payload: { text: `line ${i}` } }));
    await expect(log.appendMany(owner, drafts)).rejects.toThrow();
    const stored = await system.core.events.list(owner.id);
    expect(stored.map((e) => [e.seq, (e.payload as { text: string }).text])).toEqual(
      drafts.map((draft, i) => [i + 1, (draft.payload as { text: string }).text]),
    );
  });
});
