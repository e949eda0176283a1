import type { SlotTreeBudgets } from '@mission/store';

/** The budget that holds for a tree, and what set it (said in the refusal). */
export interface TreeBudget {
  usd: number;
  setBy: 'slot' | 'role';
  /** The root's role, when the role set it. */
  role?: string;
}

/** The smaller of the root slot's and its role's tree budgets (the slot's on a tie); undefined when neither has one. Pure. */
export function treeBudgetOf(budgets: SlotTreeBudgets | undefined): TreeBudget | undefined {
  if (!budgets) return undefined;
  const { slotBudget, roleBudget, role } = budgets;
  if (roleBudget !== null && (slotBudget === null || roleBudget < slotBudget)) return { usd: roleBudget, setBy: 'role', role };
  return slotBudget === null ? undefined : { usd: slotBudget, setBy: 'slot' };
}
