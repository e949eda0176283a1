import fs from 'node:fs';
import path from 'node:path';
import {
  assertWithinDailyBudget,
  collectFleetMetrics,
  dailySpend,
  QUEUE_WAIT_BOUNDS,
  TASK_DURATION_BOUNDS,
  usageReport,
  utcDay,
} from '@mission/core';
import { type Approval, type UsageReport } from '@mission/contracts';
import { type TaskRow, tables } from '@mission/store';
import { eq } from 'drizzle-orm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';
import { parsePrometheusText, type Scrape } from './support/prometheus.ts';
import type { StubReply } from './support/stubAnthropic.ts';

const json = { 'content-type': 'application/json' };
/** Slots the test's worker serves; `parked` is left out, so its task stays queued. */
const SERVED = ['default', 'metered', 'guarded', 'budgeted', 'spare'];

/** What Prometheus would make of these values with these bucket bounds: cumulative counts per `le`. */
function cumulative(values: number[], bounds: readonly number[]): number[] {
  return bounds.map((bound) => values.filter((value) => value <= bound).length);
}

/** Seconds between two timestamps, to the millisecond (Postgres keeps microseconds: sums agree to a few ms). */
const seconds = (from: Date | null, to: Date | null) => (to!.getTime() - from!.getTime()) / 1000;
const tokens = (row: TaskRow, key: string) => Number(row.usage?.[key] ?? 0);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * A known workload on the real claude CLI (stub API), then `/metrics`, `GET /v1/usage` and daily
 * budgets checked against what the task rows hold.
 */
describe('metrics, usage and daily budgets (real claude CLI on the stub API)', () => {
  let bed: ClaudeTestBed;
  const replies: Record<string, StubReply[]> = {};
  const refusal = { status: 400, type: 'invalid_request_error', message: 'stub says: refused' };

  beforeAll(async () => {
    bed = await startClaudeTestBed({ env: { MISSION_WORKER_SLOTS: SERVED.join(',') } });
    let conversation = '';
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      if (request.toolResults.length === 0) conversation = request.lastUserText;
      return replies[conversation]?.shift();
    });
    const slot = (id: string, extra: Record<string, unknown> = {}) =>
      call('PUT', `/v1/slots/${id}`, { cwd: bed.workdir, env: bed.claude.env, ...extra });
    expect((await call('PUT', '/v1/roles/guarded', { allow: [], confirm: ['Edit'], deny: [] })).status).toBe(200);
    // One task of `metered` at a time, so the ones submitted behind a slow one wait in the queue.
    for (const [id, extra] of [
      ['metered', { maxConcurrency: 1 }],
      ['guarded', { role: 'guarded' }],
      ['parked', {}],
      ['spare', {}],
    ] as const) {
      expect((await slot(id, extra)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await bed?.close();
  });

  async function call<T = Record<string, unknown>>(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const res = await bed.system.fetch(route, {
      method,
      headers: { ...(body === undefined ? {} : json), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }
  const submit = (slot: string, prompt: string, headers: Record<string, string> = {}) =>
    call<{ id: string; status: string }>('POST', '/v1/tasks', { slot, prompt }, headers);
  const ended = async (id: string) => {
    const task = await bed.system.core.tasks.waitForEnd(id, 60_000);
    expect(task, `task ${id} to end`).toBeDefined();
    return task!;
  };
  const taskRows = async (slot?: string) =>
    (await bed.system.core.database.db.select().from(tables.tasks)).filter((row) => !slot || row.slot === slot);
  const token = async (scopes: string[]) =>
    (await bed.system.core.tokens.create({ name: `metrics-${scopes.join('-')}`, scopes }, 'test')).token;
  /** Calls one MCP tool over Streamable HTTP with the admin token. */
  const mcpCall = async (name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> => {
    const client = new Client({ name: 'metrics-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }));
    try {
      return (await client.callTool({ name, arguments: args })) as CallToolResult;
    } finally {
      await client.close();
    }
  };
  const scrape = async (): Promise<Scrape> => {
    const res = await fetch(`${bed.system.url}/metrics`, { headers: { authorization: `Bearer ${await token(['tasks:read'])}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheusText(await res.text());
  };

  it('counts a known workload exactly: tasks, queue, wait and run time, sessions, decisions, workers, tokens and cost', async () => {
    // metered: a slow task first, then two quick ones and one the API refuses, queued behind it.
    replies['metered slow'] = [{ text: 'slow answer', usage: { input_tokens: 300, output_tokens: 30 }, chunks: 6, chunkDelayMs: 400 }];
    replies['metered quick 1'] = [{ text: 'quick one', usage: { input_tokens: 100, output_tokens: 10 } }];
    replies['metered quick 2'] = [{ text: 'quick two', usage: { input_tokens: 200, output_tokens: 20 } }];
    replies['metered refused'] = Array.from({ length: 20 }, () => ({ error: refusal }));
    const slow = await submit('metered', 'metered slow');
    await waitUntil(async () => (await bed.system.core.tasks.get(slow.body.id)).status === 'running', 30_000, 'the slow task to start');
    const others = [
      await submit('metered', 'metered quick 1'),
      await submit('metered', 'metered quick 2'),
      await submit('metered', 'metered refused'),
    ];
    // guarded: a Write its role's confirm rule holds for an approval, approved over REST.
    const file = path.join(bed.workdir, 'approved.txt');
    replies['guarded write'] = [
      { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'ok\n' } }] },
      { text: 'Wrote it.' },
    ];
    const guarded = await submit('guarded', 'guarded write');
    let approval: Approval | undefined;
    await waitUntil(
      async () =>
        (approval = (await call<{ approvals: Approval[] }>('GET', '/v1/approvals?status=pending')).body.approvals.find(
          (a) => a.owner.id === guarded.body.id,
        )) !== undefined,
      30_000,
      'the approval of the guarded task',
    );
    expect((await call('POST', `/v1/approvals/${approval!.id}/approve`, {})).status).toBe(200);
    // parked: no worker serves it, so its task waits in the queue.
    const parked = await submit('parked', 'parked forever');
    // a session on metered, started and killed.
    const session = await call<{ id: string }>('POST', '/v1/sessions', { slot: 'metered' });
    expect(session.status).toBe(201);
    expect((await call('POST', `/v1/sessions/${session.body.id}/kill`)).status).toBe(200);

    expect((await ended(slow.body.id)).status).toBe('succeeded');
    expect(await Promise.all(others.map(async (t) => (await ended(t.body.id)).status))).toEqual(['succeeded', 'succeeded', 'failed']);
    expect((await ended(guarded.body.id)).status).toBe('succeeded');
    expect(fs.readFileSync(file, 'utf8')).toBe('ok\n');

    const metrics = await scrape();
    expect(metrics.types).toMatchObject({
      mission_tasks: 'gauge',
      mission_sessions: 'gauge',
      mission_workers: 'gauge',
      mission_queue_jobs: 'gauge',
      mission_queue_backlog: 'gauge',
      mission_task_queue_wait_seconds: 'histogram',
      mission_task_duration_seconds: 'histogram',
      mission_permission_decisions_total: 'counter',
      mission_tokens_total: 'counter',
      mission_cost_usd_total: 'counter',
      mission_cost_today_usd: 'gauge',
    });

    // Tasks by slot and status, zeros included.
    const tasksOf = (slot: string, status: string) => metrics.value('mission_tasks', { slot, status });
    expect([
      tasksOf('metered', 'succeeded'),
      tasksOf('metered', 'failed'),
      tasksOf('metered', 'running'),
      tasksOf('metered', 'queued'),
    ]).toEqual([3, 1, 0, 0]);
    expect([tasksOf('guarded', 'succeeded'), tasksOf('parked', 'queued'), tasksOf('default', 'succeeded')]).toEqual([1, 1, 0]);
    expect(metrics.samples.filter((s) => s.name === 'mission_tasks').reduce((n, s) => n + s.value, 0)).toBe(6);

    // The parked task's job is the one job left in the tasks queue: offered to the worker, which hands
    // it back (delayed) for a worker of its slot, again and again.
    const jobs = (queue: string, state: string) => metrics.value('mission_queue_jobs', { queue, state });
    const [waiting, prioritized, active, delayed] = ['waiting', 'prioritized', 'active', 'delayed'].map((state) => jobs('tasks', state));
    expect(waiting! + prioritized! + active! + delayed!).toBe(1);
    expect(metrics.value('mission_queue_backlog', { queue: 'tasks' })).toBe(waiting! + prioritized!);
    expect(jobs('tasks', 'failed')).toBe(0);
    expect(['waiting', 'prioritized', 'active', 'delayed'].map((state) => jobs('sessions', state))).toEqual([0, 0, 0, 0]);

    expect(metrics.value('mission_sessions', { slot: 'metered', state: 'exited' })).toBe(1);
    expect(metrics.value('mission_sessions', { slot: 'metered', state: 'idle' })).toBe(0);
    expect(metrics.value('mission_workers', { state: 'active' })).toBe(1);
    expect(metrics.value('mission_workers', { state: 'lost' })).toBe(0);

    // One decision: the approval, decided with the test's admin token.
    expect(metrics.samples.filter((s) => s.name === 'mission_permission_decisions_total')).toEqual([
      { name: 'mission_permission_decisions_total', labels: { decision: 'allow', by: 'token' }, value: 1 },
    ]);

    // Histograms: the same counts as the task rows' timestamps give, with the same buckets.
    const metered = await taskRows('metered');
    const waits = metered.map((row) => seconds(row.createdAt, row.startedAt));
    const wait = (le: string) => metrics.value('mission_task_queue_wait_seconds_bucket', { slot: 'metered', le });
    expect(QUEUE_WAIT_BOUNDS.map((le) => wait(String(le)))).toEqual(cumulative(waits, QUEUE_WAIT_BOUNDS));
    expect(wait('+Inf')).toBe(4);
    expect(metrics.value('mission_task_queue_wait_seconds_count', { slot: 'metered' })).toBe(4);
    expect(metrics.value('mission_task_queue_wait_seconds_sum', { slot: 'metered' })).toBeCloseTo(sum(waits), 2);
    // The three queued behind the slow task (2.4 s of streaming) waited over a second.
    expect(wait('1')).toBeLessThanOrEqual(1);
    for (const status of ['succeeded', 'failed']) {
      const runs = metered.filter((row) => row.status === status).map((row) => seconds(row.startedAt, row.finishedAt));
      const run = (le: string) => metrics.value('mission_task_duration_seconds_bucket', { slot: 'metered', status, le });
      expect(
        TASK_DURATION_BOUNDS.map((le) => run(String(le))),
        status,
      ).toEqual(cumulative(runs, TASK_DURATION_BOUNDS));
      expect(metrics.value('mission_task_duration_seconds_count', { slot: 'metered', status })).toBe(runs.length);
      expect(metrics.value('mission_task_duration_seconds_sum', { slot: 'metered', status })).toBeCloseTo(sum(runs), 2);
    }
    // The slow one streamed for over 2 s: it is above the first bucket.
    expect(metrics.value('mission_task_duration_seconds_bucket', { slot: 'metered', status: 'succeeded', le: '1' })).toBeLessThanOrEqual(2);
    expect(metrics.samples.some((s) => s.name === 'mission_task_duration_seconds_count' && s.labels.slot === 'parked')).toBe(false);

    // Tokens and cost: what the CLI reported for each task (the stub's usage), summed per slot.
    expect(metered.map((row) => tokens(row, 'input_tokens')).sort((a, b) => a - b)).toEqual([0, 100, 200, 300]);
    expect(metrics.value('mission_tokens_total', { slot: 'metered', kind: 'input' })).toBe(600);
    expect(metrics.value('mission_tokens_total', { slot: 'metered', kind: 'output' })).toBe(60);
    expect(metrics.value('mission_tokens_total', { slot: 'metered', kind: 'cache_read' })).toBe(
      sum(metered.map((row) => tokens(row, 'cache_read_input_tokens'))),
    );
    const guardedRows = await taskRows('guarded');
    expect(metrics.value('mission_tokens_total', { slot: 'guarded', kind: 'input' })).toBe(
      sum(guardedRows.map((row) => tokens(row, 'input_tokens'))),
    );
    const meteredCost = sum(metered.map((row) => row.costUsd ?? 0));
    expect(meteredCost).toBeGreaterThan(0);
    expect(metrics.value('mission_cost_usd_total', { slot: 'metered' })).toBeCloseTo(meteredCost, 12);
    expect(metrics.value('mission_cost_usd_total', { slot: 'guarded' })).toBeCloseTo(sum(guardedRows.map((row) => row.costUsd ?? 0)), 12);
    const today = utcDay(new Date());
    const meteredToday = sum(metered.filter((row) => row.finishedAt! >= today.start).map((row) => row.costUsd ?? 0));
    expect(metrics.value('mission_cost_today_usd', { slot: 'metered' })).toBeCloseTo(meteredToday, 12);
    expect(parked.status).toBe(202);
  });

  it('GET /v1/usage (and mission_usage over MCP) equal the sums of the task rows, today (UTC) and in all', async () => {
    const usage = await call<UsageReport>('GET', '/v1/usage');
    expect(usage.status).toBe(200);
    const day = utcDay(new Date());
    const rows = await taskRows();
    const slots = (await bed.system.core.slots.list()).map((slot) => slot.id);
    const expected = slots.map((slot) => {
      const of = rows.filter((row) => row.slot === slot);
      const endedToday = of.filter((row) => row.finishedAt && row.finishedAt >= day.start);
      return {
        slot,
        tasksToday: of.filter((row) => row.createdAt >= day.start).length,
        costTodayUsd: sum(endedToday.map((row) => row.costUsd ?? 0)),
        inputTokensToday: sum(endedToday.map((row) => tokens(row, 'input_tokens'))),
        outputTokensToday: sum(endedToday.map((row) => tokens(row, 'output_tokens'))),
        dailyBudgetUsd: null,
        tasksTotal: of.length,
        costTotalUsd: sum(of.map((row) => row.costUsd ?? 0)),
      };
    });
    expect(usage.body.day).toBe(day.date);
    expect(usage.body.slots.map((s) => s.slot)).toEqual(slots);
    for (const [i, slot] of usage.body.slots.entries()) {
      const want = expected[i]!;
      expect({ ...slot, costTodayUsd: 0, costTotalUsd: 0 }).toEqual({ ...want, costTodayUsd: 0, costTotalUsd: 0 });
      expect(slot.costTodayUsd).toBeCloseTo(want.costTodayUsd, 12);
      expect(slot.costTotalUsd).toBeCloseTo(want.costTotalUsd, 12);
    }
    expect(usage.body.slots.find((s) => s.slot === 'metered')).toMatchObject({
      tasksToday: 4,
      tasksTotal: 4,
      inputTokensToday: 600,
      outputTokensToday: 60,
    });
    expect(usage.body.totals.tasksToday).toBe(rows.length);
    expect(usage.body.totals.costTotalUsd).toBeCloseTo(sum(rows.map((row) => row.costUsd ?? 0)), 12);
    expect(usage.body.totals.costTodayUsd).toBeCloseTo(sum(expected.map((s) => s.costTodayUsd)), 12);

    const result = await mcpCall('mission_usage');
    expect(result.isError).toBeFalsy();
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(usage.body);
  });

  it('a slot whose daily budget is spent refuses new tasks and sessions (REST and MCP) with the budget, the spend and the reset; other slots go on', async () => {
    expect((await call('PUT', '/v1/slots/budgeted', { cwd: bed.workdir, env: bed.claude.env, dailyBudgetUsd: 0 })).status).toBe(400);
    expect((await call('PUT', '/v1/slots/budgeted', { cwd: bed.workdir, env: bed.claude.env, dailyBudgetUsd: -1 })).status).toBe(400);
    const put = await call('PUT', '/v1/slots/budgeted', { cwd: bed.workdir, env: bed.claude.env, dailyBudgetUsd: 0.000001 });
    expect(put).toMatchObject({ status: 200, body: { id: 'budgeted', dailyBudgetUsd: 0.000001 } });
    expect((await call('GET', '/v1/slots/budgeted')).body).toMatchObject({ dailyBudgetUsd: 0.000001 });

    // Nothing spent yet: the first task is taken, and costs more than the budget.
    replies['spend the budget'] = [{ text: 'spent', usage: { input_tokens: 1000, output_tokens: 100 } }];
    const first = await submit('budgeted', 'spend the budget', { 'idempotency-key': 'budget-first' });
    expect(first.status).toBe(202);
    expect((await ended(first.body.id)).status).toBe('succeeded');
    const [row] = await taskRows('budgeted');
    expect(row!.costUsd).toBeGreaterThan(0.000001);

    const day = utcDay(new Date());
    const refused = await submit('budgeted', 'one more');
    expect(refused.status).toBe(402);
    expect(refused.body).toEqual({
      error: {
        code: 'budget_exhausted',
        message: `slot 'budgeted' has spent its daily budget: $${Number(row!.costUsd!.toFixed(6))} of $0.000001 today (UTC ${day.date}); new tasks and sessions on it are refused until the budget resets at ${day.end.toISOString()}`,
        details: { slot: 'budgeted', dailyBudgetUsd: 0.000001, spentTodayUsd: row!.costUsd, resetsAt: day.end.toISOString() },
      },
    });
    expect((await call('POST', '/v1/ask', { slot: 'budgeted', prompt: 'one more' })).status).toBe(402);
    expect((await call<{ error: { code: string } }>('POST', '/v1/sessions', { slot: 'budgeted' })).body.error.code).toBe(
      'budget_exhausted',
    );
    // Repeating the request that was taken still returns its task.
    const repeat = await submit('budgeted', 'spend the budget', { 'idempotency-key': 'budget-first' });
    expect(repeat).toMatchObject({ status: 200, body: { id: first.body.id } });

    for (const tool of ['mission_submit', 'mission_ask']) {
      const result = await mcpCall(tool, { slot: 'budgeted', prompt: 'one more' });
      expect(result.isError, tool).toBe(true);
      expect(JSON.parse((result.content[0] as { text: string }).text), tool).toEqual(refused.body);
    }
    expect(await taskRows('budgeted')).toHaveLength(1);

    // Another slot still takes tasks.
    replies['spare work'] = [{ text: 'fine' }];
    const spare = await submit('spare', 'spare work');
    expect(spare.status).toBe(202);
    expect((await ended(spare.body.id)).status).toBe('succeeded');

    const usage = (await call<UsageReport>('GET', '/v1/usage')).body.slots.find((s) => s.slot === 'budgeted');
    expect(usage).toMatchObject({ dailyBudgetUsd: 0.000001, tasksToday: 1, costTodayUsd: row!.costUsd });
    const metrics = await scrape();
    expect(metrics.value('mission_daily_budget_usd', { slot: 'budgeted' })).toBe(0.000001);
    expect(metrics.value('mission_cost_today_usd', { slot: 'budgeted' })).toBe(row!.costUsd);
    expect(metrics.samples.filter((s) => s.name === 'mission_daily_budget_usd')).toHaveLength(1);
  });

  it('takes dailyBudgetUsd from slots.yaml', async () => {
    const file = path.join(bed.workdir, 'slots.yaml');
    fs.writeFileSync(file, 'slots:\n  from-file:\n    cwd: .\n    dailyBudgetUsd: 2.5\n');
    await bed.system.core.slots.syncFromFile(file, bed.workdir);
    expect(await bed.system.core.slots.get('from-file')).toMatchObject({ dailyBudgetUsd: 2.5, cwd: bed.workdir });
    fs.writeFileSync(file, 'slots:\n  from-file:\n    cwd: .\n    dailyBudgetUsd: 0\n');
    await expect(bed.system.core.slots.syncFromFile(file, bed.workdir)).rejects.toThrow(/dailyBudgetUsd/);
  });

  it('/metrics needs a token with tasks:read, like the overview', async () => {
    const anonymous = await fetch(`${bed.system.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const sessionsOnly = await fetch(`${bed.system.url}/metrics`, {
      headers: { authorization: `Bearer ${await token(['sessions:read'])}` },
    });
    expect(sessionsOnly.status).toBe(403);
    expect(bed.system.app.routeAccess.find((route) => route.url === '/metrics')?.access).toBe('tasks:read');
    expect((await scrape()).samples.length).toBeGreaterThan(0);
  });
});

/**
 * The aggregate SQL on both databases Mission runs on, with rows of known timestamps: bucket edges
 * (a value equal to a bound is in its bucket), what "today" (UTC) takes in, and the budget check.
 */
describe.each(['postgres', 'pglite'] as const)('fleet metrics and usage queries on %s', (database) => {
  let system: TestSystem;
  const now = new Date('2026-11-25T12:00:00Z');
  const at = (iso: string, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000);

  beforeAll(async () => {
    system = await startTestSystem({ database, inProcessWorker: false });
    const { db } = system.core.database;
    await system.core.slots.put('a', { cwd: '/tmp' });
    await system.core.slots.put('b', { cwd: '/tmp', dailyBudgetUsd: 1 });
    await system.core.slots.put('c', { cwd: '/tmp', dailyBudgetUsd: 3 });
    const task = (
      id: string,
      slot: string,
      status: string,
      times: { createdAt: Date; startedAt?: Date; finishedAt?: Date },
      costUsd?: number,
      usage?: Record<string, unknown>,
    ) => ({
      id,
      slot,
      status,
      mode: 'submit',
      prompt: id,
      priority: 50,
      timeoutMs: 60_000,
      costUsd: costUsd ?? null,
      usage: usage ?? null,
      ...times,
    });
    await db.insert(tables.tasks).values([
      // Submitted yesterday, ended today: waited exactly 0.1 s, ran 119.9 s.
      task(
        't1',
        'a',
        'succeeded',
        { createdAt: at('2026-11-24T23:59:00Z'), startedAt: at('2026-11-24T23:59:00Z', 0.1), finishedAt: at('2026-11-25T00:01:00Z') },
        1,
        { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 5 },
      ),
      // Today: waited and ran exactly 1 s.
      task(
        't2',
        'a',
        'succeeded',
        { createdAt: at('2026-11-25T10:00:00Z'), startedAt: at('2026-11-25T10:00:00Z', 1), finishedAt: at('2026-11-25T10:00:00Z', 2) },
        0.5,
        { input_tokens: 20, output_tokens: 2 },
      ),
      // Yesterday entirely: waited an hour, ran 3600.5 s; token counts that are not numbers are left out.
      task(
        't3',
        'a',
        'failed',
        { createdAt: at('2026-11-24T10:00:00Z'), startedAt: at('2026-11-24T11:00:00Z'), finishedAt: at('2026-11-24T12:00:00.5Z') },
        2,
        { input_tokens: 'lots', output_tokens: null },
      ),
      task('t4', 'a', 'queued', { createdAt: at('2026-11-25T11:00:00Z') }),
      task('t5', 'a', 'running', { createdAt: at('2026-11-25T11:30:00Z'), startedAt: at('2026-11-25T11:30:00Z', 0.25) }),
      task(
        't6',
        'b',
        'succeeded',
        { createdAt: at('2026-11-25T09:00:00Z'), startedAt: at('2026-11-25T09:00:00Z', 0.5), finishedAt: at('2026-11-25T09:00:10Z') },
        1,
        { input_tokens: 7, output_tokens: 3 },
      ),
    ]);
    // Sessions count where their cost was last recorded (as the daily budget counts them): b's today, c's yesterday;
    // a's has reported no cost yet.
    const session = (id: string, slot: string, costUsd: number | null, usage: Record<string, number> | null, costAt: Date | null) => ({
      id,
      slot,
      state: 'exited',
      costUsd,
      usage,
      costAt,
    });
    await db
      .insert(tables.sessions)
      .values([
        session('s1', 'b', 0.25, { input_tokens: 4, output_tokens: 1 }, at('2026-11-25T08:00:00Z')),
        session('s2', 'c', 2, { input_tokens: 100, output_tokens: 50 }, at('2026-11-24T20:00:00Z')),
        session('s3', 'a', null, null, null),
      ]);
    const decision = (decision: string, by: string) => ({
      ownerKind: 'task',
      ownerId: 't1',
      tool: 'Bash',
      input: {},
      decision,
      by,
      role: 'default',
      roleVersion: 1,
    });
    await db
      .insert(tables.permissionDecisions)
      .values([
        decision('allow', 'policy'),
        decision('allow', 'policy'),
        decision('deny', 'token:alice'),
        decision('allow', 'token:bob'),
        decision('allow', 'link'),
        decision('deny', 'timeout'),
      ]);
  });
  afterAll(async () => {
    await system?.close();
  });

  it("buckets ended tasks by wait and run time, counts decisions by who decided, sums tokens and cost per slot (its tasks' and sessions')", async () => {
    const m = await collectFleetMetrics(system.core.database.db, { tasks: system.core.taskQueue, sessions: system.core.sessionQueue }, now);
    expect(m.queueWaitSeconds.series).toEqual([
      { labels: { slot: 'a' }, cumulative: cumulative([0.1, 1, 3600], QUEUE_WAIT_BOUNDS), count: 3, sum: 3601.1 },
      { labels: { slot: 'b' }, cumulative: cumulative([0.5], QUEUE_WAIT_BOUNDS), count: 1, sum: 0.5 },
    ]);
    expect(m.queueWaitSeconds.series[0]!.cumulative.slice(0, 3)).toEqual([1, 1, 2]);
    const runs = Object.fromEntries(m.taskDurationSeconds.series.map((s) => [`${s.labels.slot}/${s.labels.status}`, s]));
    expect(Object.keys(runs).sort()).toEqual(['a/failed', 'a/succeeded', 'b/succeeded']);
    expect(runs['a/succeeded']).toMatchObject({ cumulative: cumulative([119.9, 1], TASK_DURATION_BOUNDS), count: 2 });
    expect(runs['a/succeeded']!.sum).toBeCloseTo(120.9, 9);
    expect(runs['a/failed']).toMatchObject({ cumulative: cumulative([3600.5], TASK_DURATION_BOUNDS), count: 1, sum: 3600.5 });
    expect(runs['a/failed']!.cumulative[TASK_DURATION_BOUNDS.indexOf(3600)]).toBe(0);

    expect(m.tasks.filter((s) => s.value > 0)).toEqual([
      { labels: { slot: 'a', status: 'queued' }, value: 1 },
      { labels: { slot: 'a', status: 'running' }, value: 1 },
      { labels: { slot: 'a', status: 'succeeded' }, value: 2 },
      { labels: { slot: 'a', status: 'failed' }, value: 1 },
      { labels: { slot: 'b', status: 'succeeded' }, value: 1 },
    ]);
    // Every slot (the API made `default`) and every status, zeros included.
    expect(m.tasks).toHaveLength(4 * 6);
    expect(
      m.permissionDecisions.sort((x, y) => `${x.labels.decision}${x.labels.by}`.localeCompare(`${y.labels.decision}${y.labels.by}`)),
    ).toEqual([
      { labels: { decision: 'allow', by: 'link' }, value: 1 },
      { labels: { decision: 'allow', by: 'policy' }, value: 2 },
      { labels: { decision: 'allow', by: 'token' }, value: 1 },
      { labels: { decision: 'deny', by: 'timeout' }, value: 1 },
      { labels: { decision: 'deny', by: 'token' }, value: 1 },
    ]);
    expect(m.tokens.filter((s) => s.labels.slot === 'a').map((s) => [s.labels.kind, s.value])).toEqual([
      ['input', 30],
      ['output', 3],
      ['cache_read', 5],
      ['cache_creation', 0],
    ]);
    expect(m.tokens.filter((s) => s.labels.kind === 'input').map((s) => [s.labels.slot, s.value])).toEqual([
      ['a', 30],
      ['b', 11],
      ['c', 100],
      ['default', 0],
    ]);
    expect(m.costUsd.map((s) => [s.labels.slot, s.value])).toEqual([
      ['a', 3.5],
      ['b', 1.25],
      ['c', 2],
      ['default', 0],
    ]);
    expect(m.costTodayUsd.map((s) => [s.labels.slot, s.value])).toEqual([
      ['a', 1.5],
      ['b', 1.25],
      ['c', 0],
      ['default', 0],
    ]);
    expect(m.dailyBudgetUsd).toEqual([
      { labels: { slot: 'b' }, value: 1 },
      { labels: { slot: 'c' }, value: 3 },
    ]);
  });

  it('usage: tasks submitted today, cost and tokens of the tasks that ended today (UTC) and of the sessions recorded today, and totals', async () => {
    expect(await usageReport(system.core.database.db, now)).toEqual({
      day: '2026-11-25',
      slots: [
        {
          slot: 'a',
          tasksToday: 3,
          costTodayUsd: 1.5,
          inputTokensToday: 30,
          outputTokensToday: 3,
          dailyBudgetUsd: null,
          tasksTotal: 5,
          costTotalUsd: 3.5,
        },
        {
          slot: 'b',
          tasksToday: 1,
          costTodayUsd: 1.25,
          inputTokensToday: 11,
          outputTokensToday: 4,
          dailyBudgetUsd: 1,
          tasksTotal: 1,
          costTotalUsd: 1.25,
        },
        {
          slot: 'c',
          tasksToday: 0,
          costTodayUsd: 0,
          inputTokensToday: 0,
          outputTokensToday: 0,
          dailyBudgetUsd: 3,
          tasksTotal: 0,
          costTotalUsd: 2,
        },
        {
          slot: 'default',
          tasksToday: 0,
          costTodayUsd: 0,
          inputTokensToday: 0,
          outputTokensToday: 0,
          dailyBudgetUsd: null,
          tasksTotal: 0,
          costTotalUsd: 0,
        },
      ],
      totals: { costTodayUsd: 2.75, costTotalUsd: 6.75, tasksToday: 4 },
    });
    expect((await usageReport(system.core.database.db, at('2026-11-26T00:00:00Z'))).totals).toEqual({
      costTodayUsd: 0,
      costTotalUsd: 6.75,
      tasksToday: 0,
    });
  });

  it("budget: refused once the day's spend reaches it, open again the next UTC day; slots under budget or without one are open", async () => {
    const { db } = system.core.database;
    await expect(assertWithinDailyBudget(db, 'b', now)).rejects.toMatchObject({
      code: 'budget_exhausted',
      details: { slot: 'b', dailyBudgetUsd: 1, spentTodayUsd: 1.25, resetsAt: '2026-11-26T00:00:00.000Z' },
    });
    // The usage report says what the budget counts.
    const b = (await usageReport(db, now)).slots.find((slot) => slot.slot === 'b');
    expect(b?.costTodayUsd).toBe(1.25);
    await expect(assertWithinDailyBudget(db, 'b', at('2026-11-26T00:00:00Z'))).resolves.toBeUndefined();
    await expect(assertWithinDailyBudget(db, 'c', now)).resolves.toBeUndefined();
    await expect(assertWithinDailyBudget(db, 'a', now)).resolves.toBeUndefined();
  });

  it("a task's cost so far counts today, for the budget and the usage report, until it ends (running, or queued again after a run)", async () => {
    const { db } = system.core.database;
    await system.core.slots.put('d', { cwd: '/tmp', dailyBudgetUsd: 1 });
    await db.insert(tables.tasks).values({
      id: 't7',
      slot: 'd',
      status: 'running',
      mode: 'submit',
      prompt: 't7',
      priority: 50,
      timeoutMs: 60_000,
      costUsd: 1.5,
      usage: { input_tokens: 6, output_tokens: 2 },
      createdAt: at('2026-11-24T22:00:00Z'),
      startedAt: at('2026-11-24T22:00:00Z'),
    });
    const countsOn = async (day: Date) => {
      expect((await usageReport(db, day)).slots.find((slot) => slot.slot === 'd')).toMatchObject({
        tasksToday: 0,
        costTodayUsd: 1.5,
        inputTokensToday: 6,
        outputTokensToday: 2,
        costTotalUsd: 1.5,
      });
      await expect(assertWithinDailyBudget(db, 'd', day)).rejects.toMatchObject({
        code: 'budget_exhausted',
        details: { slot: 'd', spentTodayUsd: 1.5 },
      });
      // The spend per day puts it on today too, as no task that ended.
      expect((await dailySpend(db, { days: 3, slot: 'd', now: day })).map((d) => [d.tasksCostUsd, d.tasksEnded])).toEqual([
        [0, 0],
        [0, 0],
        [1.5, 0],
      ]);
    };
    // Started yesterday and still running: what its claude has told it cost so far counts today, on any day it runs.
    await countsOn(now);
    await countsOn(at('2026-11-26T00:00:00Z'));
    // Queued again (a usage limit stopped its run; its worker was lost): its next run counts on from what it cost.
    await db.update(tables.tasks).set({ status: 'queued', workerId: null, startedAt: null }).where(eq(tables.tasks.id, 't7'));
    await countsOn(now);
    await db.update(tables.tasks).set({ status: 'running' }).where(eq(tables.tasks.id, 't7'));
    // Ended yesterday: yesterday's spend, no longer today's.
    await db
      .update(tables.tasks)
      .set({ status: 'succeeded', finishedAt: at('2026-11-24T23:00:00Z') })
      .where(eq(tables.tasks.id, 't7'));
    expect((await usageReport(db, now)).slots.find((slot) => slot.slot === 'd')).toMatchObject({ costTodayUsd: 0, costTotalUsd: 1.5 });
    expect((await dailySpend(db, { days: 2, slot: 'd', now })).map((d) => [d.day, d.tasksCostUsd, d.tasksEnded])).toEqual([
      ['2026-11-24', 1.5, 1],
      ['2026-11-25', 0, 0],
    ]);
    await expect(assertWithinDailyBudget(db, 'd', now)).resolves.toBeUndefined();
  });
});
