import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConflictError } from '@mission/contracts';
import { ChannelSubscriber, type CommandHandlers, CommandServer, createLogger, createRedis, SessionStore } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl } from './support/isolation.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';

const WORKER = 'silent-worker';
/** The send's own timeout: far longer than the test may take, so only the session's end can answer it. */
const SEND_TIMEOUT_MS = 10 * 60_000;

describe('a command held by a worker when its session ends (API, real Redis and Postgres, a worker that never answers)', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-command-end-'));
  const logger = createLogger({ level: 'warn', name: 'command-end-test' });
  const connection = createRedis(redisUrl(), 'command-end-worker');
  const subscriberConnection = createRedis(redisUrl(), 'command-end-worker-sub');
  let system: TestSystem;
  let server: CommandServer;
  /** Answers every command the silent worker holds (with a refusal), so that it can close. */
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  /** The commands the silent worker was given, by name; `taken` resolves at the first. */
  const given: string[] = [];
  let took: () => void = () => undefined;
  const taken = new Promise<void>((resolve) => (took = resolve));

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false, slots: { quiet: { cwd } } });
    // A worker that takes every command and answers none until the test is over (gone silent: cut off, wedged).
    const hold = (name: string) => async () => {
      given.push(name);
      took();
      await released;
      throw new ConflictError('released at the end of the test');
    };
    const handlers = new Proxy({} as CommandHandlers, { get: (_target, name) => hold(String(name)) });
    server = new CommandServer({
      connection,
      subscriber: new ChannelSubscriber(subscriberConnection, logger),
      prefix: system.config.queuePrefix,
      workerId: WORKER,
      concurrency: 10,
      handlers,
      onError: (error) => logger.error({ err: error }, 'the silent worker failed'),
    });
  });

  afterAll(async () => {
    release();
    await server?.close();
    connection.disconnect();
    subscriberConnection.disconnect();
    await system?.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it("answers 409 naming the end once the session ends, not at the command's timeout", async () => {
    // A session the silent worker holds, as after it took the session's spawn job.
    const store = new SessionStore({ db: system.core.database.db, events: system.core.events });
    const session = await store.create({ id: `ses_${randomUUID()}`, slot: 'quiet' });
    expect(
      await store.claim(session.id, WORKER, { claudeSessionId: randomUUID(), driver: 'hooks', workspaceBranch: null, workspacePath: null }),
    ).toBe(true);

    const started = Date.now();
    const answer = system.core.sessions.send(session.id, { text: 'hello', timeoutMs: SEND_TIMEOUT_MS }).catch((error: unknown) => error);
    await taken;
    expect(given).toEqual(['send']);
    // The fleet declares the worker lost: its sessions end as `lost`, each with its state event.
    expect(await store.loseSessionsOf(WORKER, 'the test lost its worker', () => 'lost by the test')).toEqual([session.id]);

    const error = await answer;
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toBe(`session ${session.id} ended (lost) while it was handling 'send'`);
    expect(Date.now() - started).toBeLessThan(SEND_TIMEOUT_MS);
    // The next command is refused from the session's row, without reaching a worker.
    await expect(system.core.sessions.send(session.id, { text: 'again' })).rejects.toMatchObject({
      code: 'conflict',
      message: `session ${session.id} has ended (lost: the test lost its worker)`,
      details: { state: 'lost', exitReason: 'the test lost its worker' },
    });
    expect(given).toEqual(['send']);
  });
});
