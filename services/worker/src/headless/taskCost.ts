import type { EventAppender, Logger, TaskLease, TaskStore } from '@mission/store';
import type { SpendHandler } from '../hooks/metricsExport.ts';
import { modelTokens } from '../modelTokens.ts';
import { type CostReport, RunningSpend } from '../runningSpend.ts';

/**
 * What a task's run has cost so far, as its claude's metrics exports tell while it runs: each time the figure grows,
 * a `usage` event in the task's log and the cost and tokens on its row (while the run's lease holds), one after the
 * other. The run's result, when it has one, has the last word (TaskStore.complete).
 */
export class TaskCost {
  private recorded: Promise<void> = Promise.resolve();
  private readonly spend = new RunningSpend(null, (report) => this.record(report));

  constructor(
    private readonly deps: {
      store: Pick<TaskStore, 'recordRunningCost'>;
      output: Pick<EventAppender, 'add'>;
      lease: TaskLease;
      log: Logger;
    },
  ) {}

  /** Hears an export of the run's claude (its permission-prompt route's). */
  readonly exported: SpendHandler = (spend) => this.spend.exported(spend);

  /**
   * A result line of the run told its cost (the whole run's so far): the export its claude makes as it exits, which
   * tells the same, is not told again; one after a turn of its own that followed (a background command's end) is.
   */
  resultTold(costUsd: number | null): void {
    if (costUsd !== null) this.spend.known(costUsd);
  }

  /** Resolves once every figure told so far is recorded (or its failure logged). */
  settled(): Promise<void> {
    return this.recorded;
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
