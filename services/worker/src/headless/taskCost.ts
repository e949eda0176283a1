import type { EventAppender, Logger, TaskLease, TaskStore } from '@mission/store';
import { addSpend, type CliSpend, withoutSpend } from '../hooks/cliSpend.ts';
import type { SpendHandler } from '../hooks/metricsExport.ts';
import { modelTokens } from '../modelTokens.ts';
import { type CostReport, RunningSpend } from '../runningSpend.ts';
import { type HeadlessResult, taskUsage } from './streamJson.ts';

/** What a task had cost before a run of it: the figures its claude's are added to. */
export interface SpendBeforeRun {
  /** What its earlier runs cost (a run its worker's loss cut short, one a usage limit stopped), as its last `usage` event told. */
  earlier: CliSpend | null;
  /** The part of `earlier` the run's claude counts again: the cost of the Claude session it resumes (after a usage limit). */
  resumed: CliSpend | null;
}

/** A run's cost and tokens as the task's row keeps them at its end. */
export type RunCost = { costUsd: number | null; usage: Record<string, unknown> | null };

/**
 * What a task has cost so far, all its runs: its earlier runs' figures with what its claude's metrics exports tell
 * while this run goes on — each time the figure grows, a `usage` event in the task's log and the cost and tokens on
 * its row (while the run's lease holds), one after the other. The run's result, when it has one, has the last word:
 * it counts the Claude session the run went on in, its resumed part too (see {@link SpendBeforeRun.resumed}).
 */
export class TaskCost {
  private recorded: Promise<void> = Promise.resolve();
  private readonly spend: RunningSpend;
  /** What the run's result is added to: the earlier runs' figures but the Claude session's it resumes. */
  private readonly beforeSession: CliSpend | null;

  constructor(
    before: SpendBeforeRun,
    private readonly deps: {
      store: Pick<TaskStore, 'recordRunningCost'>;
      output: Pick<EventAppender, 'add'>;
      lease: TaskLease;
      log: Logger;
    },
  ) {
    this.spend = new RunningSpend(before.earlier, (report) => this.record(report));
    this.beforeSession = before.earlier && before.resumed ? withoutSpend(before.earlier, before.resumed) : before.earlier;
  }

  /** Hears an export of the run's claude (its permission-prompt route's): its metrics count from its start. */
  readonly exported: SpendHandler = (spend) => this.spend.exported(spend);

  /**
   * A result line of the run told its cost (the Claude session's so far): the export its claude makes as it exits,
   * which tells the same, is not told again; one after a turn of its own that followed (a background command's end)
   * is. A result a usage limit ended the run with is told, if the run cost anything: the run the task goes on with
   * counts on from it.
   */
  resultTold(result: HeadlessResult): void {
    const total = this.totalWith(result);
    if (!total) return;
    if (result.limited && total.costUsd > 0) this.spend.total(total.costUsd, total.modelUsage);
    else this.spend.known(total.costUsd);
  }

  /** The task's cost and tokens when its run ended with `result`: what the row keeps (null: what it holds stays). */
  atEnd(result: HeadlessResult | undefined): RunCost {
    if (!result) return { costUsd: null, usage: null };
    const total = this.totalWith(result);
    // The tokens add up only where the CLI counts them by model: else they are the result's own.
    const counted = total && result.modelUsage ? { usage: result.usage, modelUsage: total.modelUsage } : result;
    return { costUsd: total?.costUsd ?? null, usage: taskUsage(counted) };
  }

  /** Resolves once every figure told so far is recorded (or its failure logged). */
  settled(): Promise<void> {
    return this.recorded;
  }

  /** The task's spend once its run's result counted `result`'s; null when the result tells no cost. */
  private totalWith(result: HeadlessResult): CliSpend | null {
    if (result.costUsd === null) return null;
    const session: CliSpend = { costUsd: result.costUsd, modelUsage: result.modelUsage ?? {} };
    return this.beforeSession ? addSpend(this.beforeSession, session) : session;
  }

  private record(report: CostReport): void {
    this.recorded = this.recorded
      .then(async () => {
        await this.deps.output.add({ type: 'usage', payload: report });
        await this.deps.store.recordRunningCost(this.deps.lease, report.costUsd, modelTokens(report.usage));
      })
      .catch((error: unknown) => this.deps.log.error({ err: error }, "could not record what the task's run has cost so far"));
  }
}
