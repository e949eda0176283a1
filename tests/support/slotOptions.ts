/** Every option a slot listing shows (CLI, console): autoResume, a task cap, both budgets and a worktree kept after use. */
export const EVERY_SLOT_OPTION = {
  autoResume: true,
  maxConcurrency: 3,
  dailyBudgetUsd: 5,
  treeBudgetUsd: 1.5,
  workspace: 'worktree',
  keepWorkspace: true,
} as const;
