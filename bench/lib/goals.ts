import { ms, report } from './stats.ts';

/**
 * The goals issues 13 and 19 set for `npm run bench`, and this run's reading of each: a bench that measures a
 * goal's figure records it here as it prints its own table, and the run ends with one table of every goal read,
 * met or not. Only what ran is listed (`npm run bench -- cost` reads the cost bench's goals alone).
 */
interface Goal {
  issue: 13 | 19;
  what: string;
  /** The figure must be at most (`max`) or at least (`min`) the limit. */
  bound: 'max' | 'min';
  limit: number;
  unit: 'ratio' | 'ms' | 'MiB' | 'count';
}

const goal = (issue: Goal['issue'], what: string, bound: Goal['bound'], limit: number, unit: Goal['unit']): Goal => ({
  issue,
  what,
  bound,
  limit,
  unit,
});

export const goals = {
  warmVsCold: goal(19, 'warm agent: submit → first Messages API request, vs cold (p50)', 'max', 0.35, 'ratio'),
  warmShare: goal(19, "warm agent: Mission's share, submit → prompt written (p50)", 'max', 10, 'ms'),
  agentStartBlock: goal(19, "agent start: the worker's event loop blocked (p50)", 'max', 2, 'ms'),
  ptyStartBlock: goal(19, "PTY start: the worker's event loop blocked (p50)", 'max', 2, 'ms'),
  taskCpu: goal(19, 'CPU per no-op task, all processes, vs raw BullMQ + spawn', 'max', 1.5, 'ratio'),
  costThroughput: goal(19, 'throughput vs raw BullMQ + spawn (cost bench)', 'min', 0.67, 'ratio'),
  loadThroughput: goal(19, 'throughput vs raw BullMQ + spawn (load bench, 1 worker process)', 'min', 0.67, 'ratio'),
  taskLatency: goal(19, 'submit → ended vs raw BullMQ + spawn (p50)', 'max', 1.5, 'ratio'),
  pgTransactions: goal(19, 'Postgres transactions per task', 'max', 6, 'count'),
  redisCommands: goal(19, 'Redis commands per task', 'max', 60, 'count'),
  fanOut: goal(19, 'SSE fan-out to 1,000 subscribers vs a raw Redis → SSE relay (p99)', 'max', 1.5, 'ratio'),
  firstEvent: goal(19, 'first SSE event after POST /v1/tasks returns (p50)', 'max', 5, 'ms'),
  mcpStatus: goal(19, 'MCP tool call vs the same REST call: task status (p50)', 'max', 1.2, 'ratio'),
  mcpSlots: goal(19, 'MCP tool call vs the same REST call: list slots (p50)', 'max', 1.2, 'ratio'),
  sendReply: goal(13, 'send → reply vs typing into a raw PTY (p50)', 'max', 1.1, 'ratio'),
  screenHooks: goal(13, 'screen: xterm + reads of the hooks driver (the default) vs xterm alone (CPU)', 'min', 0.8, 'ratio'),
  screenDriver: goal(13, 'screen: xterm + reads of the screen driver vs xterm alone (CPU)', 'min', 0.8, 'ratio'),
  idleSessionMemory: goal(13, 'worker memory per idle session (JS heap + buffers)', 'max', 1, 'MiB'),
} as const satisfies Record<string, Goal>;

const readings: { goal: Goal; value: number }[] = [];

/** Records this run's figure for `goal` (printed by {@link printGoals}). */
export function readGoal(goal: Goal, value: number): void {
  readings.push({ goal, value });
}

/** Whether `value` meets `goal`. */
export function meets(goal: Goal, value: number): boolean {
  return goal.bound === 'max' ? value <= goal.limit : value >= goal.limit;
}

const show = (unit: Goal['unit'], value: number): string => {
  if (unit === 'ratio') return `${value.toFixed(2)}×`;
  if (unit === 'ms') return ms(value);
  if (unit === 'MiB') return `${value.toFixed(2)} MiB`;
  return value.toFixed(1);
};

/** The goals read in this run, in the order they were read; nothing when none was. */
export function printGoals(): void {
  if (readings.length === 0) return;
  report(
    "Issues 13 and 19's goals, as read in this run",
    ['goal', 'issue', 'figure', 'met'],
    readings.map(({ goal, value }) => [
      `${goal.what} ${goal.bound === 'max' ? '≤' : '≥'} ${show(goal.unit, goal.limit)}`,
      `#${goal.issue}`,
      show(goal.unit, value),
      meets(goal, value) ? 'yes' : 'no',
    ]),
  );
  const missed = readings.filter(({ goal, value }) => !meets(goal, value)).length;
  console.log(`${readings.length - missed} of ${readings.length} goals met in this run`);
}
