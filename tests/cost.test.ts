import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DailySpend, Activity, Delivery, MissionEvent, Session, Task, TreeUsage } from '@mission/contracts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { waitUntil } from './support/processes.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repoRoot, 'bin', 'mission.mjs');

/** A webhook receiver that answers 200 and keeps the bodies. */
async function startReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Cost everywhere, on the real API with the real claude CLI against the stub Messages API: a session's
 * cost and tokens from its transcript on its row; an agent tree's cost (a session, the session and task it
 * started); a tree budget that refuses further children with one budget_exhausted event and notification;
 * sessions counted in the daily budget; spend per day, tasks per minute; the `mission usage` command.
 * (Needs `npm run build` for the CLI.)
 */
describe('cost everywhere (real claude CLI, real Redis and Postgres)', () => {
  let bed: ClaudeTestBed;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    receiver = await startReceiver();
    // Interactive sessions make side requests without tools (titles and the like): those get a plain answer.
    bed.stub.respond((request) =>
      request.tools.length === 0 ? { text: 'side request' } : { text: 'Counted.', usage: { input_tokens: 400, output_tokens: 60 } },
    );
    await bed.system.core.notifications.ready;
  });
  afterAll(async () => {
    await bed?.close();
    await receiver?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  const mcpCall = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    const client = new Client({ name: 'cost-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }));
    try {
      return (await client.callTool({ name, arguments: args })) as CallToolResult;
    } finally {
      await client.close();
    }
  };
  const putTeam = (settings: { treeBudgetUsd?: number; dailyBudgetUsd?: number; role?: string }) =>
    call('PUT', '/v1/slots/team', { cwd: bed.workdir, env: bed.claude.env, ...settings }).then((res) => expect(res.status).toBe(200));
  const spawn = async (body: Record<string, unknown>) =>
    call<Session & { error?: { code: string; message: string } }>('POST', '/v1/sessions', body);
  const mission = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, MISSION_URL: bed.system.url, MISSION_TOKEN: bed.system.auth.authorization.replace(/^Bearer /, '') };
      execFile(process.execPath, [bin, ...args], { cwd: repoRoot, env, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("a session and what it started cost what their claude's own figures and results say, the session's while it runs; the tree budget then refuses children, announced once", async () => {
    await putTeam({});
    const subscription = await call<{ id: string }>('POST', '/v1/notifications', {
      name: 'budgets',
      url: receiver.url,
      events: ['budget_exhausted'],
    });
    expect(subscription.status).toBe(201);

    // A root session on `team`, a session it works with (on `team`) and a task under it (on `default`).
    const root = (await spawn({ slot: 'team' })).body;
    const child = (await spawn({ slot: 'team', parent: root.id })).body;
    expect(child.parentId).toBe(root.id);
    const turn = await call<{ response: string }>('POST', `/v1/sessions/${child.id}/send`, { text: 'count this', timeoutMs: 60_000 });
    expect(turn.body.response).toBe('Counted.');
    const { task } = await bed.system.core.tasks.submit({ slot: 'default', prompt: 'a task of the tree' }, { parentId: root.id });
    await waitUntil(
      async () => (await call<Task>('GET', `/v1/tasks/${task.id}`)).body.status === 'succeeded',
      60_000,
      "the tree's task to succeed",
    );
    // The session's claude reports its cost while it runs (its own metrics): the session goes on, and counts already.
    await waitUntil(
      async () => ((await call<Session>('GET', `/v1/sessions/${child.id}`)).body.costUsd ?? 0) > 0,
      60_000,
      "the session's running cost",
    );
    const counted = (await call<Session>('GET', `/v1/sessions/${child.id}`)).body;
    expect(counted.state).toBe('idle');
    const ran = (await call<Task>('GET', `/v1/tasks/${task.id}`)).body;
    expect(counted.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    expect(counted.usage!.output_tokens).toBeGreaterThan(0);
    expect(ran.costUsd).toBeGreaterThan(0);

    const tree = await call<TreeUsage>('GET', `/v1/usage/tree/${root.id}`);
    expect(tree.status).toBe(200);
    expect(tree.body.nodes.map((n) => [n.id, n.kind, n.parentId])).toEqual([
      [root.id, 'session', null],
      [child.id, 'session', root.id],
      [task.id, 'task', root.id],
    ]);
    const spent = counted.costUsd! + ran.costUsd!;
    expect(tree.body.costUsd).toBeCloseTo(spent, 10);
    expect(tree.body).toMatchObject({ sessions: 2, tasks: 1, treeBudgetUsd: null });
    expect(tree.body.usage.output_tokens).toBe(counted.usage!.output_tokens! + Number((ran.usage as Record<string, number>).output_tokens));
    expect((await call<{ error: { code: string } }>('GET', '/v1/usage/tree/ses_nosuch')).status).toBe(404);
    const overMcp = await mcpCall('mission_usage', { tree: root.id });
    expect(overMcp.isError).toBeFalsy();
    expect(JSON.parse((overMcp.content[0] as { text: string }).text)).toEqual(tree.body);

    // Under the budget children start; at or over it they are refused, sessions and tasks alike.
    await putTeam({ treeBudgetUsd: spent * 2 });
    const allowed = await spawn({ slot: 'default', parent: root.id });
    expect(allowed.status).toBe(201);
    await call('POST', `/v1/sessions/${allowed.body.id}/kill`);
    await putTeam({ treeBudgetUsd: spent / 2 });
    const refused = await spawn({ slot: 'default', parent: root.id });
    expect(refused.status).toBe(402);
    expect(refused.body.error?.code).toBe('budget_exhausted');
    expect(refused.body.error?.message).toMatch(
      new RegExp(
        `^the agent tree of session ${root.id} \\(slot 'team'\\) has spent its budget: \\$[0-9.]+ of \\$[0-9.]+ \\(the slot's treeBudgetUsd\\); it may start no more sessions or tasks\\. What runs goes on\\.$`,
      ),
    );
    await expect(bed.system.core.tasks.submit({ slot: 'default', prompt: 'one more' }, { parentId: root.id })).rejects.toMatchObject({
      code: 'budget_exhausted',
    });

    // Announced once: one event on the tree's root, one notification, for both refusals.
    const events = await bed.system.core.events.list(root.id, 0, { limit: 1_000 });
    const exhausted = events.filter(
      (e): e is Extract<MissionEvent, { type: 'error' }> => e.type === 'error' && e.payload.code === 'budget_exhausted',
    );
    expect(exhausted.map((e) => e.payload.message)).toEqual([refused.body.error?.message]);
    await waitUntil(() => receiver.bodies.length >= 1, 30_000, 'the budget_exhausted notification');
    await bed.system.core.notifications.deriver.idle();
    const deliveries = (await call<{ deliveries: Delivery[] }>('GET', `/v1/notifications/${subscription.body.id}/deliveries`)).body
      .deliveries;
    expect(deliveries.map((d) => [d.kind, d.subject])).toEqual([['budget_exhausted', root.id]]);
    expect(JSON.parse(receiver.bodies[0]!)).toMatchObject({ kind: 'budget_exhausted', slot: 'team' });

    // Sessions count in the slot's daily budget: `team` has spent only what its sessions cost today.
    await putTeam({ dailyBudgetUsd: counted.costUsd! / 2 });
    const daily = await call<{ error: { code: string; message: string } }>('POST', '/v1/tasks', { slot: 'team', prompt: 'over the day' });
    expect(daily.status).toBe(402);
    expect(daily.body.error.message).toMatch(/^slot 'team' has spent its daily budget/);
    await putTeam({});

    // A role sets a tree budget too: the slot `team` has none now, its role does; the smaller of the two holds.
    expect((await call('PUT', '/v1/roles/capped', { treeBudgetUsd: spent / 2 })).status).toBe(200);
    await putTeam({ role: 'capped' });
    expect((await call<TreeUsage>('GET', `/v1/usage/tree/${root.id}`)).body.treeBudgetUsd).toBeCloseTo(spent / 2, 10);
    const byRole = await spawn({ slot: 'default', parent: root.id });
    expect(byRole.status).toBe(402);
    expect(byRole.body.error?.message).toMatch(/\(the treeBudgetUsd of role 'capped'\); it may start no more sessions or tasks/);
    await putTeam({ role: 'capped', treeBudgetUsd: spent / 4 });
    expect((await call<TreeUsage>('GET', `/v1/usage/tree/${root.id}`)).body.treeBudgetUsd).toBeCloseTo(spent / 4, 10);
    expect((await call('PUT', '/v1/roles/capped', { treeBudgetUsd: spent * 2 })).status).toBe(200);
    await putTeam({ role: 'capped' });
    const underRole = await spawn({ slot: 'default', parent: root.id });
    expect(underRole.status).toBe(201);
    await call('POST', `/v1/sessions/${underRole.body.id}/kill`);
    await putTeam({});

    // Spend per day: today holds the session and the task; tasks per minute counts the task.
    const days = await call<DailySpend>('GET', '/v1/usage/daily?days=3');
    expect(days.body.days.map((d) => d.day)).toHaveLength(3);
    const today = days.body.days.at(-1)!;
    expect(today.sessionsCostUsd).toBeGreaterThanOrEqual(counted.costUsd!);
    expect(today.tasksCostUsd).toBeGreaterThanOrEqual(ran.costUsd!);
    expect(today.costUsd).toBeCloseTo(today.sessionsCostUsd + today.tasksCostUsd, 10);
    expect((await call('GET', '/v1/usage/daily?days=0')).status).toBe(400);
    const activity = await call<Activity>('GET', '/v1/usage/activity?minutes=30');
    expect(activity.body.minutes).toHaveLength(30);
    expect(activity.body.minutes.reduce((n, m) => n + m.tasksEnded, 0)).toBeGreaterThanOrEqual(1);
    expect(activity.body.minutes.reduce((n, m) => n + m.tasksStarted, 0)).toBeGreaterThanOrEqual(1);

    // The CLI shows the same.
    const shown = await mission(['usage', '--tree', root.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`tree ${root.id}`);
    expect(shown.stdout).toMatch(new RegExp(`${child.id}\\s+session\\s+team\\s+${root.id}\\s+idle\\s+\\$`));
    expect(shown.stdout).toMatch(new RegExp(`${task.id}\\s+task\\s+default\\s+${root.id}\\s+succeeded\\s+\\$`));
    const asJson = await mission(['usage', '--daily', '--days', '3', '--json']);
    expect(JSON.parse(asJson.stdout).days).toHaveLength(3);
    // Each day's cost, and what of it tasks and sessions spent (dollars), then how many tasks ended (a count).
    const [header, ...dayRows] = (await mission(['usage', '--daily', '--days', '3'])).stdout.trimEnd().split('\n');
    expect(header).toMatch(/^DAY +COST +OF TASKS +OF SESSIONS +TASKS ENDED$/);
    expect(dayRows.at(-1)).toMatch(new RegExp(`^${today.day} +\\$\\d+\\.\\d{4} +\\$\\d+\\.\\d{4} +\\$\\d+\\.\\d{4} +${today.tasksEnded}$`));
    expect(await mission(['usage', '--days', 'x', '--daily'])).toMatchObject({
      code: 2,
      stderr: "mission: --days must be a whole number from 1 to 366, not 'x'\nRun `mission help usage` for usage.\n",
    });
    await call('POST', `/v1/sessions/${child.id}/kill`);
    await call('POST', `/v1/sessions/${root.id}/kill`);
  });
});
