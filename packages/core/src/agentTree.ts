import { type Caller, MissionError, NotFoundError, type TreeUsage } from '@mission/contracts';
import { childNodeRows, type Database, slotTreeBudgets, treeNodeRow, type TreeNodeRow } from '@mission/store';
import { treeBudgetOf } from './treeBudgetOf.ts';

/** A session or task in an agent tree, with what it has cost. */
export interface TreeNode {
  id: string;
  kind: 'session' | 'task';
  slot: string;
  parentId: string | null;
  /** A session's state or a task's status. */
  state: string;
  costUsd: number;
  /** Tokens in the keys Claude Code reports (`input_tokens`, `output_tokens`, …); missing kinds are absent. */
  usage: Record<string, number>;
}

/** Deepest an agent tree is followed (a guard against a parent loop in hand-edited rows). */
const MAX_DEPTH = 64;

const numbers = (usage: Record<string, unknown> | null): Record<string, number> =>
  Object.fromEntries(Object.entries(usage ?? {}).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));

const toNode =
  (kind: TreeNode['kind']) =>
  (row: TreeNodeRow): TreeNode => ({ ...row, kind, costUsd: row.costUsd ?? 0, usage: numbers(row.usage) });

/** The session or task `id`; undefined when there is neither. */
export async function treeNode(db: Database, id: string): Promise<TreeNode | undefined> {
  const found = await treeNodeRow(db, id);
  return found ? toNode(found.kind)(found.row) : undefined;
}

/** `id` and the sessions and tasks above it, nearest first: the trees a new child of `id` would grow. */
export async function ancestry(db: Database, id: string): Promise<TreeNode[]> {
  const chain: TreeNode[] = [];
  for (let current: string | null = id; current && chain.length < MAX_DEPTH && !chain.some((node) => node.id === current); ) {
    const node = await treeNode(db, current);
    if (!node) break;
    chain.push(node);
    current = node.parentId;
  }
  return chain;
}

/** `root` and everything it started, level by level (root first). */
export async function treeNodes(db: Database, root: string): Promise<TreeNode[]> {
  const top = await treeNode(db, root);
  if (!top) throw new NotFoundError('session or task', root);
  const nodes: TreeNode[] = [top];
  const seen = new Set([root]);
  let frontier = [root];
  for (let depth = 0; frontier.length > 0 && depth < MAX_DEPTH; depth++) {
    const { sessions: childSessions, tasks: childTasks } = await childNodeRows(db, frontier);
    const level = [...childSessions.map(toNode('session')), ...childTasks.map(toNode('task'))].filter((node) => !seen.has(node.id));
    for (const node of level) seen.add(node.id);
    nodes.push(...level);
    frontier = level.map((node) => node.id);
  }
  return nodes;
}

/** What a tree cost in all, and its tokens by kind. Pure. */
export function treeTotals(nodes: readonly TreeNode[]): {
  costUsd: number;
  usage: Record<string, number>;
  sessions: number;
  tasks: number;
} {
  const usage: Record<string, number> = {};
  let costUsd = 0;
  for (const node of nodes) {
    costUsd += node.costUsd;
    for (const [kind, n] of Object.entries(node.usage)) usage[kind] = (usage[kind] ?? 0) + n;
  }
  return {
    costUsd,
    usage,
    sessions: nodes.filter((n) => n.kind === 'session').length,
    tasks: nodes.filter((n) => n.kind === 'task').length,
  };
}

/** An agent may read the usage of its own tree and of the trees under it; operators any. */
export async function assertMayReadTree(db: Database, caller: Caller | undefined, id: string): Promise<void> {
  const agent = caller?.agent;
  if (agent && !(await ancestry(db, id)).some((node) => node.id === agent.id)) {
    throw new MissionError('forbidden', `forbidden: ${id} is neither ${agent.id} nor something it started`);
  }
}

/** What the tree of `root` cost, node by node, with its budget. */
export async function treeUsage(db: Database, root: string): Promise<TreeUsage> {
  const nodes = await treeNodes(db, root);
  const [budgets] = await slotTreeBudgets(db, [nodes[0]!.slot]);
  return { root, ...treeTotals(nodes), treeBudgetUsd: treeBudgetOf(budgets)?.usd ?? null, nodes };
}
