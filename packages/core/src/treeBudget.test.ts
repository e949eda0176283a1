import { describe, expect, it } from 'vitest';
import { treeTotals } from './agentTree.ts';
import { treeBudgetRefusal } from './treeBudget.ts';
import { treeBudgetOf } from './treeBudgetOf.ts';

describe('treeBudgetRefusal', () => {
  const root = { id: 'ses_root', kind: 'session' as const, slot: 'team' };
  const slotBudget = { usd: 2, setBy: 'slot' as const };

  it('lets children start while the tree has budget left', () => {
    expect(treeBudgetRefusal(root, slotBudget, 0)).toBeUndefined();
    expect(treeBudgetRefusal(root, slotBudget, 1.999999)).toBeUndefined();
  });

  it('refuses once the tree has spent its budget, naming the tree, its slot, the spend and the budget', () => {
    const refusal = treeBudgetRefusal(root, slotBudget, 2.0000004);
    expect(refusal?.code).toBe('budget_exhausted');
    expect(refusal?.httpStatus).toBe(402);
    expect(refusal?.message).toBe(
      "the agent tree of session ses_root (slot 'team') has spent its budget: $2 of $2 (the slot's treeBudgetUsd); it may start no more sessions or tasks. What runs goes on.",
    );
    expect(refusal?.details).toEqual({ tree: 'ses_root', slot: 'team', treeBudgetUsd: 2, spentUsd: 2.0000004, budgetOf: { slot: 'team' } });
  });

  it("names the role when the role's budget is the one spent", () => {
    const refusal = treeBudgetRefusal(root, { usd: 1, setBy: 'role', role: 'manager' }, 1.5);
    expect(refusal?.message).toBe(
      "the agent tree of session ses_root (slot 'team') has spent its budget: $1.5 of $1 (the treeBudgetUsd of role 'manager'); it may start no more sessions or tasks. What runs goes on.",
    );
    expect(refusal?.details).toMatchObject({ treeBudgetUsd: 1, budgetOf: { role: 'manager' } });
  });
});

describe('treeBudgetOf', () => {
  const budgets = (slotBudget: number | null, roleBudget: number | null) => ({ slot: 'team', slotBudget, role: 'manager', roleBudget });

  it('is the smaller of the slot’s and the role’s, the slot’s on a tie, and none when neither sets one', () => {
    expect(treeBudgetOf(budgets(null, null))).toBeUndefined();
    expect(treeBudgetOf(undefined)).toBeUndefined();
    expect(treeBudgetOf(budgets(3, null))).toEqual({ usd: 3, setBy: 'slot' });
    expect(treeBudgetOf(budgets(null, 2))).toEqual({ usd: 2, setBy: 'role', role: 'manager' });
    expect(treeBudgetOf(budgets(3, 2))).toEqual({ usd: 2, setBy: 'role', role: 'manager' });
    expect(treeBudgetOf(budgets(1, 2))).toEqual({ usd: 1, setBy: 'slot' });
    expect(treeBudgetOf(budgets(2, 2))).toEqual({ usd: 2, setBy: 'slot' });
  });
});

describe('treeTotals', () => {
  it('adds cost and tokens of every node by kind, and counts sessions and tasks', () => {
    const node = (id: string, kind: 'session' | 'task', costUsd: number, usage: Record<string, number>) => ({
      id,
      kind,
      slot: 's',
      parentId: null,
      state: 'x',
      costUsd,
      usage,
    });
    expect(
      treeTotals([
        node('ses_a', 'session', 0.5, { input_tokens: 10, output_tokens: 2 }),
        node('task_b', 'task', 0.25, { input_tokens: 5, cache_read_input_tokens: 7 }),
        node('ses_c', 'session', 0, {}),
      ]),
    ).toEqual({ costUsd: 0.75, usage: { input_tokens: 15, output_tokens: 2, cache_read_input_tokens: 7 }, sessions: 2, tasks: 1 });
  });
});
