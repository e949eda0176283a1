import { MissionError } from '@mission/contracts';
import { type Database, type EventLog, recordBudgetExhaustion, slotTreeBudgets } from '@mission/store';
import { ancestry, type TreeNode, treeNodes, treeTotals } from './agentTree.ts';
import { type TreeBudget, treeBudgetOf } from './treeBudgetOf.ts';

const usd = (amount: number) => `$${Number(amount.toFixed(6))}`;

/** The refusal of a new child in a tree that has spent its budget; undefined while some is left. Pure. */
export function treeBudgetRefusal(
  root: Pick<TreeNode, 'id' | 'kind' | 'slot'>,
  budget: TreeBudget,
  spentUsd: number,
): MissionError | undefined {
  if (spentUsd < budget.usd) return undefined;
  const source = budget.setBy === 'slot' ? "the slot's treeBudgetUsd" : `the treeBudgetUsd of role '${budget.role}'`;
  return new MissionError(
    'budget_exhausted',
    `the agent tree of ${root.kind} ${root.id} (slot '${root.slot}') has spent its budget: ${usd(spentUsd)} of ${usd(budget.usd)} ` +
      `(${source}); it may start no more sessions or tasks. What runs goes on.`,
    {
      tree: root.id,
      slot: root.slot,
      treeBudgetUsd: budget.usd,
      spentUsd,
      budgetOf: budget.role ? { role: budget.role } : { slot: root.slot },
    },
  );
}

/**
 * Refuses a new child of `parentId` when a tree it would join has spent its budget: the tree of the parent
 * and of each session or task above it whose slot, or the slot's role, sets `treeBudgetUsd`. The first refusal
 * of a tree (for a given budget) is announced once: a `budget_exhausted` error event on the tree's root, which
 * is what the `budget_exhausted` notification is made from.
 */
export async function assertWithinTreeBudget(db: Database, events: EventLog, parentId: string): Promise<void> {
  const chain = await ancestry(db, parentId);
  const slotIds = [...new Set(chain.map((node) => node.slot))];
  if (slotIds.length === 0) return;
  const budgets = new Map((await slotTreeBudgets(db, slotIds)).map((row) => [row.slot, treeBudgetOf(row)]));
  for (const root of chain) {
    const budget = budgets.get(root.slot);
    if (budget === undefined) continue;
    const spent = treeTotals(await treeNodes(db, root.id)).costUsd;
    const refusal = treeBudgetRefusal(root, budget, spent);
    if (!refusal) continue;
    await announceExhausted(db, events, root, budget.usd, spent, refusal.message);
    throw refusal;
  }
}

/** Records that the tree reached `budget` and, if this call recorded it first, appends the event. */
async function announceExhausted(
  db: Database,
  events: EventLog,
  root: TreeNode,
  budgetUsd: number,
  costUsd: number,
  message: string,
): Promise<void> {
  if (await recordBudgetExhaustion(db, root.id, budgetUsd, costUsd))
    await events.append({ kind: root.kind, id: root.id }, { type: 'error', payload: { code: 'budget_exhausted', message } });
}
