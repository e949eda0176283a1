import { createLogger } from '@mission/store';
import { startWorker } from '@mission/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { CLI_FIRST_REQUEST_MS, processesIn, waitUntil } from './support/processes.ts';
import { promptAsked, type StubAnthropic } from './support/stubAnthropic.ts';
import type { TestSystem } from './support/system.ts';

interface TaskJson {
  id: string;
  status: string;
  result: string | null;
  workerId: string | null;
}

describe('graceful worker shutdown', () => {
  let bed: ClaudeTestBed;
  let stub: StubAnthropic;
  let system: TestSystem;
  let workdir: string;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    ({ stub, system, workdir } = bed);
  });
  afterAll(async () => bed?.close());

  const submit = async (prompt: string, extra: Record<string, unknown> = {}) => {
    const res = await system.fetch(`/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, ...extra }),
    });
    return (await res.json()) as TaskJson;
  };
  const getTask = async (id: string) => (await (await system.fetch(`/v1/tasks/${id}`)).json()) as TaskJson;
  const startSecondWorker = (id: string) =>
    startWorker({
      config: { ...system.config, workerId: id },
      logger: createLogger({ level: 'silent' }),
      database: system.core.database,
      redisUrl: system.config.redisUrl!,
    });

  it('lets a running task finish within the grace period', async () => {
    stub.enqueue({ text: 'finishing '.repeat(10), chunks: 10, chunkDelayMs: 100 });
    const task = await submit('finish during the grace period');
    await waitUntil(async () => (await getTask(task.id)).status === 'running', 10_000, 'the task to run');
    await promptAsked(stub, 'finish during the grace period');

    await system.worker!.close(20_000);
    const ended = await getTask(task.id);
    expect(ended.status).toBe('succeeded');
    expect(ended.result).toContain('finishing');
    system.worker = await startSecondWorker(`${system.config.workerId}-again`);
  });

  it('fails a task still running when the grace period ends whose prompt must not run twice (retry: never)', async () => {
    stub.enqueue({ text: 'slow '.repeat(200), chunks: 200, chunkDelayMs: 100 });
    const task = await submit('never run me twice');
    await promptAsked(stub, 'never run me twice');
    const worker = system.worker!.id;

    await system.worker!.close(500);
    expect(processesIn(workdir)).toEqual([]);
    const ended = (await (await system.fetch(`/v1/tasks/${task.id}`)).json()) as TaskJson & { error: string };
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe(
      `the worker running it (${worker}) shut down before it finished; not retried because the prompt had already reached Claude (retry: never)`,
    );
    system.worker = await startSecondWorker(`${worker}-third`);
  });

  it(
    're-queues a task still running when the grace period ends that may run again (retry: safe); another worker runs it from the start',
    async () => {
      stub.enqueue({ text: 'slow '.repeat(200), chunks: 200, chunkDelayMs: 100 }, { text: 'Done on the second worker.' });
      const task = await submit('outlive the grace period', { retry: 'safe' });
      await waitUntil(async () => (await getTask(task.id)).status === 'running', 10_000, 'the task to run');
      await promptAsked(stub, 'outlive the grace period');
      expect(processesIn(workdir).length).toBeGreaterThan(0);
      const first = (await getTask(task.id)).workerId;

      await system.worker!.close(500);
      expect(processesIn(workdir)).toEqual([]);
      expect((await getTask(task.id)).status).toBe('queued');

      system.worker = await startSecondWorker('second-worker');
      await waitUntil(async () => (await getTask(task.id)).status === 'succeeded', 30_000, 'the second worker to finish the task');
      const ended = await getTask(task.id);
      expect(ended.result).toBe('Done on the second worker.');
      expect(ended.workerId).toBe('second-worker');
      expect(first).not.toBe('second-worker');
      expect(stub.requests.filter((r) => r.lastUserText === 'outlive the grace period')).toHaveLength(2);

      const events = (await (await system.fetch(`/v1/tasks/${task.id}/events`)).text())
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as { type: string; payload: { state?: string; reason?: string } });
      const states = events.filter((e) => e.type === 'state').map((e) => e.payload.state);
      expect(states).toEqual(['queued', 'running', 'queued', 'running', 'succeeded']);
      expect(events.find((e, i) => i > 0 && e.payload.state === 'queued')?.payload.reason).toContain('shut down');
    },
    // Two claudes start, one after the other.
    2 * CLI_FIRST_REQUEST_MS + 60_000,
  );
});
