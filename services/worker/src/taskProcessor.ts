import { randomUUID } from 'node:crypto';
import { type Approval, CONTINUE_AFTER_LIMIT_PROMPT, type EventOwner, limitPauseUntil, type RoleRules } from '@mission/contracts';
import {
  activeSlotPause,
  type Database,
  type EventLog,
  type FleetRecovery,
  type Logger,
  revokeAgentTokens,
  settleInterruptedTask,
  type SlotClaim,
  SlotPauses,
  type TaskCanceller,
  type TaskLease,
  type TaskRow,
  TaskStore,
  taskRow,
} from '@mission/store';
import type { AgentLauncher, AgentPlaces } from './agentProcess.ts';
import { claudeHomePaths } from './claudeHome.ts';
import { childMcpLaunch } from './childMcp.ts';
import { combineLaunches, NOTHING_TO_LAUNCH } from './cliLaunch.ts';
import { type HeadlessExit, type HeadlessProcess, spawnHeadless, type StopReason } from './headless/headlessRunner.ts';
import { type HeadlessResult, mapStreamJsonMessage, withNextResult } from './headless/streamJson.ts';
import { reportsCostTo, taskAgentRequest, withClaudeSession } from './headless/taskLaunch.ts';
import { type SpendBeforeRun, TaskCost } from './headless/taskCost.ts';
import type { WarmPools } from './headless/warmPool.ts';
import type { PermissionPromptServer } from './permissions/promptServer.ts';
import { foreignCallNotice } from './agentCaller.ts';
import { checkRunnable, loadRunnableSlot, type SlotRow } from './runnableSlot.ts';
import type { AgentSpawner } from './spawner/spawner.ts';
import { taskOutcome } from './taskOutcome.ts';
import { lastToldSpend } from './runningSpend.ts';
import { savedCost } from './transcripts/savedConversation.ts';

/** How long a task waits before it is offered again when its slot is full or this worker does not serve it. */
const RETRY_LATER_MS = 1_000;

/** What became of a job: done (whatever the task's outcome), or to be offered again after a delay. */
export type TaskRun = { kind: 'done' } | { kind: 'later'; delayMs: number; why: string };
const DONE: TaskRun = { kind: 'done' };

export interface TaskProcessorOptions {
  db: Database;
  events: EventLog;
  logger: Logger;
  workerId: string;
  /** Starts claude as the agent user, in an environment of its own. */
  launcher: AgentLauncher;
  /** Where the CLI asks about tool uses its allow/deny flags did not settle. */
  prompts: PermissionPromptServer;
  /** Mission's API, whose MCP server a task's agent may be given. */
  apiUrl: string;
  /** Stops a coordination's other children when one ends without succeeding under fail_fast. */
  canceller: TaskCanceller;
  /** Tells whether the worker a task is marked running on is gone (and recovers its tasks if so). */
  recovery: FleetRecovery;
  /** The slots whose tasks this worker takes; undefined = all. */
  workerSlots: string[] | undefined;
  /** Agents started ahead of their task, for slots with a `warmPool`. */
  warm?: WarmPools;
  /** Starts the agent processes, off the worker's event loop. */
  spawner: AgentSpawner;
}

/** Runs one task: claims it, runs claude headless for its slot, streams events, records how it ended. */
export class TaskProcessor {
  private readonly store: TaskStore;
  private readonly pauses: SlotPauses;

  constructor(private readonly deps: TaskProcessorOptions) {
    this.store = new TaskStore(deps);
    this.pauses = new SlotPauses(deps);
  }

  /**
   * `stop` aborts with a {@link StopReason}: cancel (user), shutdown (worker); the timeout is the task's own.
   * Resolves `later` when the task cannot run here now (its slot is full, this worker does not serve it,
   * or a shutdown stopped it and put it back to `queued`): the caller offers its job again after the delay.
   */
  async process(taskId: string, stop: AbortSignal): Promise<TaskRun> {
    const owner: EventOwner = { kind: 'task', id: taskId };
    const claim = await this.claim(taskId);
    if ('skip' in claim) {
      this.deps.logger.debug({ taskId, why: claim.skip }, 'job skipped');
      return DONE;
    }
    if ('later' in claim)
      return {
        kind: 'later',
        delayMs: Math.max(0, (claim.untilMs ?? 0) - Date.now()) + RETRY_LATER_MS + Math.floor(Math.random() * 250),
        why: claim.later,
      };
    const { task } = claim;
    const log = this.deps.logger.child({ taskId, slot: task.slot, attempt: task.attempts });
    const lease: TaskLease = { id: taskId, workerId: this.deps.workerId, attempts: task.attempts };

    // The claim read the slot and its role with the task (one statement), but under a slot's limit or once the slot is gone.
    const runnable = claim.slot ? checkRunnable(claim.slot) : await this.runnable(task.slot);
    if ('problem' in runnable) {
      await this.store.complete(lease, {
        status: 'failed',
        error: runnable.problem,
        errorEvent: { code: 'failed', message: runnable.problem },
      });
      await this.afterEnd(task, log);
      return DONE;
    }
    const { slot, rules } = runnable;

    const controller = new AbortController();
    const forward = (signal: AbortSignal, reason: () => StopReason) => {
      if (signal.aborted) controller.abort(reason());
      else signal.addEventListener('abort', () => controller.abort(reason()), { once: true });
    };
    forward(stop, () => stop.reason as StopReason);
    forward(AbortSignal.timeout(task.timeoutMs), () => 'timeout');

    let result: HeadlessResult | undefined;
    let undecided: Approval[] = [];
    // A usage limit: when the CLI said it resets, and whether the run had done work (called a tool) before it.
    let limitResetsAt: number | null = null;
    let toolCalls = 0;
    // A run a usage limit stopped after it had done work goes on in its Claude session rather than start again.
    const continuing = task.claudeSessionId;
    // The agent's output is written in batches while the next lines are read; all of it is stored before the outcome.
    // Only while the claim holds: a run the fleet took back (its worker cut off, its job lost) writes nothing more.
    const output = this.deps.events.appender(owner, this.store.fence(lease));
    // A task's agent gets Mission's MCP server when its role gives Mission tools (a manager running specialists).
    const mission = await childMcpLaunch(this.deps.db, { ...owner, role: slot.role, missionTools: rules.missionTools }, this.deps.apiUrl, {
      refusalsToo: false,
    });
    // The run's agent token, if it was given one, dies with the run.
    const revokeToken = async () => {
      if (mission === NOTHING_TO_LAUNCH) return;
      await revokeAgentTokens(this.deps.db, [taskId]);
      await this.deps.events.announceRevokedTokens({ owners: [taskId] });
    };
    // A warm agent of the slot, started with these very settings, when one is ready: no cold start.
    const warm = continuing ? undefined : this.deps.warm?.take(slot, rules);
    const guarded = { ...slot, ...this.deps.launcher.agentPlaces(slot.id, slot.env) };
    // Claude's questions wait for answers, but in a task asked for one answer whose asker can answer nothing meanwhile.
    const promptTask = { owner, slot: guarded, questionsWait: task.mode !== 'ask' || task.askerAnswers };
    // What it has cost so far: its earlier runs' figures, and its claude's as its metrics exports tell while it runs
    // (where its environment lets Mission hear them).
    const cost = new TaskCost(await this.spendBefore(task, guarded), { store: this.store, output, lease, log });
    const prompts = warm
      ? warm.prompts.bind(promptTask, cost.exported)
      : this.deps.prompts.register(promptTask, reportsCostTo(this.deps.launcher, slot), cost.exported);
    prompts.caller.onForeignCall(() =>
      output
        .add(foreignCallNotice('permission prompts'))
        .catch((error: unknown) => log.error({ err: error }, 'could not record the refused permission prompt call in the task log')),
    );
    const combined = combineLaunches([prompts, mission], rules.allow);
    // The Claude session the run goes on in, the warm agent's, or a new one of our choosing: known before the CLI says it.
    let claudeSessionId = continuing ?? warm?.claudeSessionId ?? randomUUID();
    const launch = continuing
      ? { ...combined, args: [...combined.args, '--resume', continuing] }
      : warm
        ? combined
        : withClaudeSession(combined, claudeSessionId);
    // From here on a lost worker may have run the prompt: the retry policy decides whether it runs again.
    // Only while the claim still holds (its fencing token is the attempt): a worker cut off after claiming,
    // whose task the fleet took back meanwhile, must not send the prompt.
    if (!(await this.store.markPromptDelivered(lease, claudeSessionId))) {
      warm?.process.kill();
      await prompts.finish();
      await revokeToken();
      log.warn('the task was taken from this worker before its prompt was sent (it was declared lost): not running it');
      return DONE;
    }
    const agent = warm
      ? Promise.resolve(warm.process)
      : this.deps.launcher.prepare(taskAgentRequest(slot, rules, launch)).then((started) => {
          const cold = spawnHeadless(started, 'text', this.deps.spawner);
          // Its permission prompts are taken from this claude only, not from a command holding the key it inherits.
          prompts.caller.calledFrom(cold.program);
          return cold;
        });
    const run = (started: HeadlessProcess) => {
      const exit = started.drive({
        prompt: continuing ? CONTINUE_AFTER_LIMIT_PROMPT : task.prompt,
        signal: controller.signal,
        onMessage: async (message) => {
          const mapped = mapStreamJsonMessage(message);
          // The CLI runs in another session than the one it was given (a resume it copied): its word is recorded.
          if (mapped.claudeSessionId && mapped.claudeSessionId !== claudeSessionId) {
            claudeSessionId = mapped.claudeSessionId;
            await this.store.recordClaudeSession(lease, claudeSessionId);
          }
          if (mapped.result) {
            result = withNextResult(result, mapped.result);
            cost.resultTold(mapped.result);
          }
          if (mapped.limitRejected) limitResetsAt = mapped.limitRejected.resetsAt;
          for (const event of mapped.events) {
            if (event.type === 'tool_call') toolCalls++;
            // A limited run's result is no end of the task: it waits for the reset (the `slot_paused` and `state` events say so).
            if (event.type !== 'result' || !mapped.result?.limited) await output.add(event);
          }
        },
        onUnparsableLine: (line) => log.warn({ line: line.slice(0, 200) }, 'claude printed a line that is not JSON'),
      });
      log.debug({ warm: Boolean(warm), pid: started.pid }, 'prompt written to the agent');
      return exit;
    };
    // An agent that cannot be prepared (its folders cannot be made its own) ends the task as one that could not start.
    const exit: HeadlessExit = await agent.then(run, notStarted).finally(async () => {
      undecided = await prompts.finish();
      await revokeToken();
      // Its last export came as its claude exited: recorded before the outcome, whose result has the last word.
      await cost.settled();
    });

    if (exit.stoppedBy === 'shutdown') {
      await output.flushed();
      return this.interrupted(task, log);
    }
    if (exit.stoppedBy === 'lease') {
      await output.flushed();
      log.warn('stopped: no heartbeat of this worker landed within its lease; the fleet settles the task by its retry policy');
      return DONE;
    }
    if (result?.limited && !exit.stoppedBy)
      return this.limited(
        lease,
        owner,
        slot.id,
        { text: result.text, resetsAt: limitResetsAt, continueSession: toolCalls > 0 ? claudeSessionId : null },
        log,
      );
    const outcome = taskOutcome(exit, result, task.timeoutMs, undecided);
    log.info({ status: outcome.status, exitCode: exit.exitCode, stoppedBy: exit.stoppedBy }, 'task ended');
    const recorded = await this.store.complete(lease, {
      ...outcome,
      // The output not written yet goes with the outcome, in its transaction.
      output: await output.drain(),
      outcome: {
        result: result?.text ?? null,
        ...cost.atEnd(result),
        durationMs: result?.durationMs ?? null,
        numTurns: result?.numTurns ?? null,
      },
      ...(outcome.error && !result ? { errorEvent: { code: outcome.status, message: outcome.error } } : {}),
    });
    if (!recorded) {
      log.warn('task was settled elsewhere while it ran; outcome not recorded');
      return DONE;
    }
    await this.afterEnd(task, log);
    return DONE;
  }

  /**
   * Claude's usage or rate limit stopped the run: its slot pauses until the reset and the task waits for it,
   * queued again without spending the attempt. One that had done work goes on in its Claude session then.
   */
  private async limited(
    lease: TaskLease,
    owner: EventOwner,
    slot: string,
    hit: { text: string; resetsAt: number | null; continueSession: string | null },
    log: Logger,
  ): Promise<TaskRun> {
    const pause = await this.pauses.pause(slot, limitPauseUntil(hit.resetsAt, Date.now()), hit.text, owner);
    const until = pause.pausedUntil.toISOString();
    const how = hit.continueSession ? 'then it goes on where it stopped' : 'then it runs again';
    const waiting = await this.store.waitForLimit(
      lease,
      `usage limit (${hit.text}): waits for slot '${slot}' to resume at ${until}; ${how}`,
      hit.continueSession,
    );
    log.info({ until, continues: Boolean(hit.continueSession), requeued: waiting }, 'usage limit: slot paused, task waits for the reset');
    if (!waiting) return DONE;
    return {
      kind: 'later',
      delayMs: Math.max(0, pause.pausedUntil.getTime() - Date.now()) + Math.floor(Math.random() * 250),
      why: `slot '${slot}' paused until ${until}`,
    };
  }

  /**
   * What the task had cost before this run: nothing when its row tells no cost (its first run); else its last `usage`
   * event's figures, and, when the run resumes the Claude session of one a usage limit stopped, what that session had
   * cost (its transcript's, which the resumed CLI counts on from).
   */
  private async spendBefore(task: TaskRow, places: AgentPlaces): Promise<SpendBeforeRun> {
    if (task.costUsd === null) return { earlier: null, resumed: null };
    const earlier = await lastToldSpend(this.deps.events, task.id);
    if (!task.claudeSessionId) return { earlier, resumed: null };
    return {
      earlier,
      resumed: await savedCost(claudeHomePaths({ HOME: places.home, CLAUDE_CONFIG_DIR: places.claudeDir }), task.claudeSessionId),
    };
  }

  /** The slot a task runs in and its role's rules in force, or why it cannot run there. */
  private async runnable(slotId: string): Promise<{ slot: SlotRow; rules: RoleRules } | { problem: string }> {
    const runnable = await loadRunnableSlot(this.deps.db, slotId);
    return 'problem' in runnable ? runnable : { slot: runnable.slot, rules: runnable.role.rules };
  }

  /** A coordination's child that did not succeed stops its siblings when the coordination says fail_fast. */
  private async afterEnd(task: TaskRow, log: Logger): Promise<void> {
    if (!task.parentId) return; // no coordination's child: nothing to stop
    const cancelled = await this.deps.canceller.afterChildEnded(task.id);
    if (cancelled.length > 0) log.info({ cancelled }, 'fail_fast: asked the other subtasks of the coordination to stop');
  }

  /** A shutdown stopped the task past the grace period: handed back to the queue, or failed, by its retry policy. */
  private async interrupted(task: TaskRow, log: Logger): Promise<TaskRun> {
    const requeued = await settleInterruptedTask(this.deps.db, this.deps.events, task.id, {
      kind: 'shutdown',
      workerId: this.deps.workerId,
    });
    log.info({ requeued: Boolean(requeued) }, 'worker shutting down: task stopped');
    if (requeued) return { kind: 'later', delayMs: 0, why: 'shutdown' };
    await this.afterEnd(task, log);
    return DONE;
  }

  /**
   * queued → running (one more attempt), unless a cancel was asked for, another worker has it, its slot
   * is at its `maxConcurrency`, or this worker does not serve its slot. A job whose task is `running` on
   * a worker that is gone (BullMQ gave the stalled job back) is recovered by the task's retry policy first.
   */
  private async claim(taskId: string, recovered = false): Promise<SlotClaim> {
    // The common case in one statement: a slot without a limit of its own.
    const claimed = await this.store.claim(taskId, this.deps.workerId, this.deps.workerSlots, (error) =>
      this.deps.logger.warn({ err: error, taskId }, 'the running event of a claimed task was stored but could not be published'),
    );
    if (claimed) return claimed;

    const row = await taskRow(this.deps.db, taskId);
    if (!row) return { skip: 'the task no longer exists' };
    if (row.status === 'running' && row.workerId && row.workerId !== this.deps.workerId && !recovered) {
      if (await this.deps.recovery.isLost(row.workerId)) return this.claim(taskId, true);
      return { skip: `still running on worker ${row.workerId}` };
    }
    if (row.status !== 'queued' || row.cancelRequestedAt) return { skip: `the task is ${row.status}` };
    const pause = await activeSlotPause(this.deps.db, row.slot);
    if (pause)
      return {
        later: `slot '${row.slot}' is paused until ${pause.pausedUntil.toISOString()} (usage limit)`,
        untilMs: pause.pausedUntil.getTime(),
      };
    if (this.deps.workerSlots && !this.deps.workerSlots.includes(row.slot))
      return { later: `this worker does not serve slot '${row.slot}'` };
    return this.store.claimWithinSlotLimit(taskId, this.deps.workerId, row.slot);
  }
}

/** The exit of a run whose agent could not be prepared (its folders could not be made its own, …). */
function notStarted(error: unknown): HeadlessExit {
  return {
    exitCode: null,
    signal: null,
    stoppedBy: null,
    stderrTail: '',
    spawnError: error instanceof Error ? error.message : String(error),
  };
}
