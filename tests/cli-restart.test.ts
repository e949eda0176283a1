import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { startApi } from '@mission/api';
import { type CoreRuntime, createCoreRuntime } from '@mission/core';
import { mcpHttp } from '@mission/mcp';
import { createLogger } from '@mission/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const bin = path.join(repoRoot, 'bin', 'mission.mjs');

/**
 * `mission ask` and `mission send` while the API restarts under them (a rolling deploy, Ctrl+C on `npm start` and
 * again): the API answers that it shuts down, the task or the turn going on in the worker; the CLI follows it to its
 * end from its events, waiting for the API to come back, and prints the answer as ever. The real claude CLI answers,
 * held by the stub until the API has restarted.
 */
describe('mission ask and mission send across a restart of the API (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  /** The API's instances after the bed's own: each on the bed's port, with a core of its own, as a restarted process. */
  const restarted: { app: FastifyInstance; core: CoreRuntime }[] = [];
  const held: Record<string, Promise<void>> = {};

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      const prompt = Object.keys(held).find((key) => request.lastUserText.includes(key));
      return prompt ? { text: `${prompt}: answered.`, heldUntil: held[prompt] } : undefined;
    });
  });
  afterAll(async () => {
    for (const { app, core } of restarted.splice(0)) {
      await app.close();
      await core.close();
    }
    await bed?.close();
  });

  /** Closes the API serving now and, once `whileDown` has run, starts another on its port. */
  async function restartApi(whileDown: () => Promise<void>): Promise<void> {
    await (restarted.at(-1)?.app ?? bed.system.app).close();
    await whileDown();
    const port = Number(new URL(bed.system.url).port);
    const config = { ...bed.system.config, port };
    const core = createCoreRuntime({
      config,
      logger: createLogger({ level: config.logLevel, name: 'restarted' }),
      database: bed.system.core.database,
      redisUrl: config.redisUrl!,
    });
    restarted.push({ app: await startApi(core, [mcpHttp(core)]), core });
  }

  /** `mission <args>` as a script runs it (no terminal), its output collected as it comes. */
  function mission(args: string[]) {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, MISSION_URL: bed.system.url, MISSION_TOKEN: bed.system.auth.authorization.replace(/^Bearer /, '') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child: child as ChildProcess, exited, stdout: () => stdout, stderr: () => stderr };
  }

  /** The task of `prompt`, once Claude works on it (its request to the stub is held). */
  async function runningTask(prompt: string): Promise<string> {
    await waitUntil(() => bed.stub.conversationRequests(prompt).length > 0, 60_000, `claude working on '${prompt}'`);
    const { tasks } = await bed.system.core.tasks.list({ limit: 20 });
    return tasks.find((task) => task.prompt === prompt)!.id;
  }

  const cutNote = (taskId: string) =>
    `mission: the ask was cut (the API is shutting down; task ${taskId} goes on: read it for its answer); following task ${taskId} to its end`;

  it('follows the task to its end through the restart and prints its answer', async () => {
    const prompt = 'Answer across a restart';
    let release!: () => void;
    held[prompt] = new Promise((resolve) => (release = resolve));
    const asking = mission(['ask', 'default', prompt]);
    const taskId = await runningTask(prompt);

    // While the API is down, the CLI has been told and waits for it to come back.
    await restartApi(() => waitUntil(() => asking.stderr().includes(cutNote(taskId)), 30_000, "the CLI's note of the cut"));
    release();

    expect(await asking.exited).toEqual({ code: 0, signal: null });
    expect(asking.stdout()).toBe(`${prompt}: answered.\n`);
    expect(asking.stderr()).toContain(cutNote(taskId));
    expect(await bed.system.core.tasks.get(taskId)).toMatchObject({ status: 'succeeded' });
  });

  it('interrupted while it follows the task (its ask is gone, which would have cancelled it), cancels the task itself', async () => {
    const prompt = 'Interrupt after a restart';
    held[prompt] = new Promise(() => {
      // never answered: the task runs until it is cancelled
    });
    const asking = mission(['ask', 'default', prompt]);
    const taskId = await runningTask(prompt);
    await restartApi(() => waitUntil(() => asking.stderr().includes(cutNote(taskId)), 30_000, "the CLI's note of the cut"));

    asking.child.kill('SIGINT');
    expect(await asking.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(asking.stderr()).toContain(`mission: interrupted; cancelling task ${taskId}`);
    // Read through the API serving now: the first one's core has shut down, and waits no more.
    expect(await restarted.at(-1)!.core.tasks.waitForEnd(taskId, 60_000)).toMatchObject({ status: 'cancelled' });
  });

  it('mission send: the turn is followed through the restart to its reply, which is printed as ever; the text is typed once', async () => {
    const session = await bed.system.core.sessions.spawn({ slot: 'default' });
    await waitUntil(async () => (await bed.system.core.sessions.get(session.id)).state === 'idle', 60_000, 'the session to be idle');
    const prompt = 'Reply across a restart';
    let release!: () => void;
    held[prompt] = new Promise((resolve) => (release = resolve));
    const sending = mission(['send', session.id, prompt]);
    await waitUntil(() => bed.stub.conversationRequests(prompt).length > 0, 60_000, `claude working on '${prompt}'`);

    const cut = `mission: the send was cut (`;
    const following = `); following session ${session.id} to the end of its turn`;
    await restartApi(() => waitUntil(() => sending.stderr().includes(following), 30_000, "the CLI's note of the cut"));
    release();

    expect(await sending.exited).toEqual({ code: 0, signal: null });
    expect(sending.stdout()).toBe(`${prompt}: answered.\n`);
    expect(sending.stderr()).toContain(cut);
    const core = restarted.at(-1)!.core;
    const typed = (await core.events.list(session.id, 0, { limit: 1_000 })).filter((e) => e.type === 'user_message');
    expect(typed.map((e) => e.payload)).toEqual([{ text: prompt }]);
    await core.sessions.kill(session.id);
  });
});
