import fs from 'node:fs';
import path from 'node:path';
import type { Approval, MissionEvent, TaskRead } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { DATABASE_QUESTION } from './support/questions.ts';
import { ADMIN } from './support/system.ts';
import { waitUntil } from './support/processes.ts';
import { type AgentStart, warmAgentReady, warmPoolFor } from './support/warmAgents.ts';

/** An event as a failure message tells it: its type, and what a tool call and its output said. */
const eventLine = (event: MissionEvent) =>
  event.type === 'tool_call' || event.type === 'tool_output' ? `${event.type} ${JSON.stringify(event.payload).slice(0, 300)}` : event.type;

/** The approval window of this suite: shortened from 15 minutes so an expiry is seen within the test. */
const APPROVAL_WINDOW_MS = 15_000;
/**
 * The CLI's own limit on an MCP tool call, shortened the same way (MCP_TOOL_TIMEOUT, read by claude
 * 2.1.x; without Mission's per-server `timeout` the CLI hangs up on the prompt tool after it, which
 * fails the first test): the approval below is decided well after it.
 */
const CLI_TOOL_TIMEOUT_MS = 3_000;
/** The prompt of the task whose Claude asks a question nobody answers. */
const UNANSWERED_PROMPT = 'ask and wait';
/** What Claude asks the subagent it starts to do, in a task that delegates its write (the agent's conversation starts with it). */
const agentPrompt = (file: string) => `As the agent, write ${file}.`;

/**
 * Headless approvals on the real claude CLI: the permission-prompt tool keeps the CLI waiting for the
 * whole approval window, a task whose tool use nobody decided does not report success, and a pending
 * approval whose task ended expires at once (approving it later is a 409, not a "success" that runs nothing).
 */
describe.each<AgentStart>(['cold', 'warm'])('headless approvals last the approval window (real claude CLI, %s agents)', (start) => {
  let bed: ClaudeTestBed;
  let stopLoad: () => Promise<void>;
  /** The file each task's prompt asks Claude to write, by prompt. */
  const writes: Record<string, string> = {};
  /** The file each task's prompt has Claude ask a subagent to write, by prompt. */
  const delegated: Record<string, string> = {};
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    stopLoad = startCpuLoad();
    bed = await startClaudeTestBed({ env: { MISSION_APPROVAL_TIMEOUT_MS: String(APPROVAL_WINDOW_MS) } });
    // Each answer follows from the request alone (its conversation's prompt, whether the tool ran yet), not from the
    // requests before it: a request the CLI sends again gets the same answer.
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      if (request.conversation.includes(UNANSWERED_PROMPT))
        return request.toolResults.length > 0
          ? { text: 'I assumed Postgres.' }
          : { text: 'Asking first.', toolUses: [{ name: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } }] };
      // A subagent's conversation starts with its prompt (Claude's, which started it, holds the prompt only as a tool's input).
      const agentFile = Object.values(delegated).find((file) => request.conversation.includes(agentPrompt(file)));
      if (agentFile)
        return request.toolResults.length > 0
          ? { text: 'The agent wrote it.' }
          : { text: 'Writing as the agent.', toolUses: [{ name: 'Write', input: { file_path: agentFile, content: 'written\n' } }] };
      const delegating = Object.entries(delegated).find(([prompt]) => request.conversation.includes(prompt));
      // Claude delegates at the prompt only: the CLI tells it of the agent's end in a turn of its own, after it.
      if (delegating)
        return request.lastUserText !== delegating[0]
          ? { text: 'The agent is on it.' }
          : {
              text: 'Delegating.',
              toolUses: [
                {
                  name: 'Agent',
                  input: { description: 'Write the file', prompt: agentPrompt(delegating[1]), subagent_type: 'general-purpose' },
                },
              ],
            };
      const file = Object.entries(writes).find(([prompt]) => request.conversation.includes(prompt))?.[1];
      if (!file) return { text: 'Done as far as I could.' };
      if (request.toolResults.length > 0) return { text: 'All written.' };
      return { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'written\n' } }] };
    });
    const put = async (route: string, body: unknown) =>
      expect((await bed.system.fetch(route, { method: 'PUT', headers: json, body: JSON.stringify(body) })).status).toBe(200);
    await put('/v1/roles/asks', { description: 'ask before writing', confirm: ['Edit'] });
    await put('/v1/slots/asks', {
      role: 'asks',
      cwd: bed.workdir,
      env: { ...bed.claude.env, MCP_TOOL_TIMEOUT: String(CLI_TOOL_TIMEOUT_MS) },
      ...warmPoolFor(start),
    });
  }, 120_000);
  afterAll(async () => {
    await bed?.close();
    await stopLoad?.();
  });

  const submit = async (prompt: string, file?: string) => {
    if (file) writes[prompt] = file;
    await warmAgentReady(bed.system, 'asks', start);
    const res = await bed.system.fetch('/v1/tasks', { method: 'POST', headers: json, body: JSON.stringify({ slot: 'asks', prompt }) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  /** The task's pending approval; when none comes, the error tells what the task and its CLI did instead. */
  const approvalOf = async (taskId: string, prompt: string) => {
    let approval: Approval | undefined;
    try {
      await waitUntil(
        async () =>
          (approval = (await bed.system.core.approvals.list({ status: 'pending' }, ADMIN)).find((a) => a.owner.id === taskId)) !==
          undefined,
        60_000,
        'the approval of the task',
      );
    } catch (error) {
      const task = await bed.system.core.tasks.get(taskId);
      const asked = bed.stub.conversationRequests(prompt);
      const approvals = await bed.system.core.approvals.list({}, ADMIN);
      throw new Error(
        `${(error as Error).message}: the task is ${task.status}${task.error ? ` (${task.error})` : ''}; its events: ${(await events(taskId)).map(eventLine).join(', ')}; ` +
          `its CLI asked the model ${asked.length} times (${asked.map((r) => `${r.toolResults.length} tool results`).join(', ')}); ` +
          `approvals: ${JSON.stringify(approvals.map((a) => ({ owner: a.owner.id, status: a.status, tool: a.tool })))}`,
      );
    }
    return approval!;
  };
  const events = (id: string) => bed.system.core.events.list(id, 0, { limit: 1_000 });
  const decide = (id: string, verdict: 'approve' | 'deny') =>
    bed.system.fetch(`/v1/approvals/${id}/${verdict}`, { method: 'POST', headers: json, body: '{}' });
  const taskNow = async (id: string) => (await (await bed.system.fetch(`/v1/tasks/${id}`)).json()) as TaskRead;
  /** What a running task has cost so far, once its claude's metrics have told it (it is null until then). */
  const runningCost = async (id: string) => {
    await waitUntil(async () => (await taskNow(id)).costUsd !== null, 30_000, "the running task's cost");
    const running = await taskNow(id);
    expect(running.status).toBe('running');
    expect(running.costUsd).toBeGreaterThan(0);
    expect(running.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    const told = (await events(id)).filter((e) => e.type === 'usage');
    expect(told.at(-1)?.payload).toMatchObject({ costUsd: running.costUsd });
    return running.costUsd!;
  };

  it("an approval decided long after the CLI's tool timeout still lets the tool run, and the task succeeds; its cost is known while it waits", async () => {
    const file = path.join(bed.workdir, 'late.txt');
    const taskId = await submit('write late', file);
    const approval = await approvalOf(taskId, 'write late');
    // Claude's own tool use: the approval names no agent.
    expect(approval).not.toHaveProperty('subagent');
    // Read by its id, the running task lists what it waits for.
    const waiting = (await (await bed.system.fetch(`/v1/tasks/${taskId}`)).json()) as TaskRead;
    expect(waiting.pendingApprovals).toMatchObject([{ id: approval.id, tool: 'Write', status: 'pending' }]);
    // What it has cost so far is known while it waits, from its claude's own metrics.
    const costWhileWaiting = await runningCost(taskId);
    const requested = Date.parse(approval.requestedAt);
    // The point of the test is a decision made after the CLI would have hung up on a silent tool.
    await waitUntil(() => Date.now() - requested > CLI_TOOL_TIMEOUT_MS * 2, 30_000, 'twice the CLI tool timeout');
    expect((await bed.system.core.approvals.get(approval.id, ADMIN)).status).toBe('pending');
    expect((await decide(approval.id, 'approve')).status).toBe(200);
    const task = await bed.system.core.tasks.waitForEnd(taskId, 60_000);
    expect(task).toMatchObject({ status: 'succeeded', result: 'All written.' });
    expect(fs.readFileSync(file, 'utf8')).toBe('written\n');
    expect(await (await bed.system.fetch(`/v1/tasks/${taskId}`)).json()).not.toHaveProperty('pendingApprovals');
    // Its result has the last word: the CLI's own total, which counts the turn after the approval too.
    const result = (await events(taskId)).find((e) => e.type === 'result');
    expect(result?.type === 'result' && result.payload.costUsd).toBe(task?.costUsd);
    expect(task?.costUsd).toBeGreaterThan(costWhileWaiting);
  }, 120_000);

  it('a tool use nobody decides expires with the window and the task fails saying so; the file is never written', async () => {
    const file = path.join(bed.workdir, 'never.txt');
    const taskId = await submit('write never', file);
    const approval = await approvalOf(taskId, 'write never');
    const task = await bed.system.core.tasks.waitForEnd(taskId, APPROVAL_WINDOW_MS + 60_000);
    expect(task?.status).toBe('failed');
    expect(task?.error).toContain(
      `nobody decided a tool use in time, so it never ran: Write (approval ${approval.id}, nobody decided in time)`,
    );
    expect(fs.existsSync(file)).toBe(false);
    expect((await decide(approval.id, 'approve')).status).toBe(409);
    const decisions = (await events(taskId)).filter(
      (e): e is Extract<MissionEvent, { type: 'permission_decision' }> => e.type === 'permission_decision',
    );
    expect(decisions.map((e) => e.payload)).toMatchObject([{ tool: 'Write', decision: 'deny', by: 'timeout', approvalId: approval.id }]);
  }, 120_000);

  it('cancelling a task that waits for an approval expires the approval at once: approving it afterwards is a 409; the task keeps what it cost', async () => {
    const file = path.join(bed.workdir, 'cancelled.txt');
    const taskId = await submit('write cancelled', file);
    const approval = await approvalOf(taskId, 'write cancelled');
    const costBeforeCancel = await runningCost(taskId);
    expect((await bed.system.fetch(`/v1/tasks/${taskId}/cancel`, { method: 'POST' })).status).toBeLessThan(300);
    const task = await bed.system.core.tasks.waitForEnd(taskId, 30_000);
    expect(task?.status).toBe('cancelled');
    // A run stopped before its result keeps what its metrics told it had cost (its claude spent it; a request of the CLI's
    // own may have come since).
    expect(task?.costUsd).toBeGreaterThanOrEqual(costBeforeCancel);
    const after = await bed.system.core.approvals.get(approval.id, ADMIN);
    expect(after).toMatchObject({ status: 'expired', decidedBy: 'waiter_gone' });
    // Well within the window: it expired because its waiter was gone, not because time ran out.
    expect(Date.parse(after.decidedAt!)).toBeLessThan(Date.parse(approval.expiresAt));
    const late = await decide(approval.id, 'approve');
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { message: string } }).error.message).toBe(`approval ${approval.id} is already expired`);
    expect(fs.existsSync(file)).toBe(false);
  }, 120_000);

  // Once, on cold agents: how a question ends does not depend on how its agent started (a window's wait saved).
  it.runIf(start === 'cold')(
    "a task's question nobody answers expires with the window: Claude is told so and goes on, and the task does not fail",
    async () => {
      const taskId = await submit(UNANSWERED_PROMPT);
      const approval = await approvalOf(taskId, UNANSWERED_PROMPT);
      expect(approval).toMatchObject({ tool: 'AskUserQuestion', rule: null });
      const task = await bed.system.core.tasks.waitForEnd(taskId, APPROVAL_WINDOW_MS + 60_000);
      expect(task).toMatchObject({ status: 'succeeded', result: 'I assumed Postgres.' });
      expect((await bed.system.core.approvals.get(approval.id, ADMIN)).status).toBe('expired');
      const told = bed.stub.conversationRequests(UNANSWERED_PROMPT).flatMap((request) => request.toolResults);
      expect(told).toEqual([
        expect.objectContaining({
          content: expect.stringContaining('Nobody answered within 1 minute: the person may be away.'),
          isError: true,
        }),
      ]);
    },
    120_000,
  );

  it("a subagent's tool use waits as the agent's: its approval is told as the agent's work, and the agent writes once approved", async () => {
    const prompt = 'delegate the write';
    const file = path.join(bed.workdir, 'delegated.txt');
    delegated[prompt] = file;
    const taskId = await submit(prompt);
    const approval = await approvalOf(taskId, prompt);
    const agent = { id: expect.stringMatching(/^a[0-9a-f]+$/), type: 'general-purpose' };
    // Listed anywhere (mission approvals, the console, MCP), the approval says whose tool use it is.
    expect(approval).toMatchObject({ tool: 'Write', input: { file_path: file }, subagent: agent });
    expect((await decide(approval.id, 'approve')).status).toBe(200);
    const task = await bed.system.core.tasks.waitForEnd(taskId, 60_000);
    // The CLI's prompt names only the tool use; its PreToolUse hook, called before it, named the agent. Its event (stored
    // after the approval's row, read once the task has ended) says so too; Claude's own tool use (the Agent it started)
    // asked nobody: the task's only approval is the agent's.
    const requested = (await events(taskId)).filter((e) => e.type === 'approval_requested');
    expect(requested.map((e) => e.payload)).toMatchObject([{ approvalId: approval.id, tool: 'Write', subagent: agent }]);
    expect(task?.status).toBe('succeeded');
    expect(fs.readFileSync(file, 'utf8')).toBe('written\n');
    const agentWrites = (await events(taskId)).filter((e) => e.type === 'tool_call' && e.payload.tool === 'Write');
    expect(agentWrites.map((e) => e.payload)).toMatchObject([{ tool: 'Write', subagent: agent }]);
  }, 120_000);

  it.runIf(start === 'warm')('each task was handed a warm agent, its permission prompts bound to it at hand-off', () => {
    expect(bed.system.worker!.warmPools.handedOut('asks')).toBe(4);
  });
});
