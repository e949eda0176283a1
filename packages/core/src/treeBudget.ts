import { MissionError } from '@mission/contracts';
import { type Database, type EventLog, recordBudgetExhaustion, slotTreeBudgets } from '@mission/store';
import { ancestry, type TreeNode, treeNodes, treeTotals } from './agentTree.ts';

const usd = (amount: number) => `$${Number(amount.toFixed(6))}`;

/** The refusal of a new child in a tree that has spent its budget; undefined while some is left. Pure. */
export function treeBudgetRefusal(
  root: Pick<TreeNode, 'id' | 'kind' | 'slot'>,
  budgetUsd: number,
  spentUsd: number,
): MissionError | undefined {
  if (spentUsd < budgetUsd) return undefined;
  return new MissionError(
    'budget_exhausted',
    `the agent tree of ${root.kind} ${root.id} (slot '${root.slot}') has spent its budget: ${usd(spentUsd)} of ${usd(budgetUsd)} ` +
      `(the slot's treeBudgetUsd); it may start no more sessions or tasks. What runs goes on.`,
    { tree: root.id, slot: root.slot, treeBudgetUsd: budgetUsd, spentUsd },
  );
}

/**
 * Refuses a new child of `parentId` when a tree it would join has spent its budget: the tree of the parent
 * and of each session or task above it whose slot sets `treeBudgetUsd`. The first refusal of a tree (for a
 * given budget) is announced once: a `budget_exhausted` error event on the tree's root, which is what the
 * `budget_exhausted` notification is made from.
 */
export async function assertWithinTreeBudget(db: Database, events: EventLog, parentId: string): Promise<void> {
  const chain = await ancestry(db, parentId);
  const slotIds = [...new Set(chain.map((node) => node.slot))];
  if (slotIds.length === 0) return;
  const budgets = new Map(
    (await slotTreeBudgets(db, slotIds))
      .filter((row): row is { id: string; budget: number } => row.budget !== null)
      .map((row) => [row.id, row.budget]),
  );
  for (const root of chain) {
    const budget = budgets.get(root.slot);
    if (budget === undefined) continue;
    const spent = treeTotals(await treeNodes(db, root.id)).costUsd;
    const refusal = treeBudgetRefusal(root, budget, spent);
    if (!refusal) continue;
    await announceExhausted(db, events, root, budget, spent, refusal.message);
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
