import { eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { budgetExhaustions, sessions, tasks } from '../db/schema.ts';

/** A session or task as an agent tree sees it: where it hangs, its state (a task's status) and what it cost. */
export interface TreeNodeRow {
  id: string;
  slot: string;
  parentId: string | null;
  state: string;
  costUsd: number | null;
  usage: Record<string, unknown> | null;
}

const sessionColumns = {
  id: sessions.id,
  slot: sessions.slot,
  parentId: sessions.parentId,
  state: sessions.state,
  costUsd: sessions.costUsd,
  usage: sessions.usage,
};
const taskColumns = {
  id: tasks.id,
  slot: tasks.slot,
  parentId: tasks.parentId,
  state: tasks.status,
  costUsd: tasks.costUsd,
  usage: tasks.usage,
};

/** The session `id`, else the task `id`, as a tree node; undefined when there is neither. */
export async function treeNodeRow(db: Database, id: string): Promise<{ kind: 'session' | 'task'; row: TreeNodeRow } | undefined> {
  const [session] = await db.select(sessionColumns).from(sessions).where(eq(sessions.id, id));
  if (session) return { kind: 'session', row: session };
  const [task] = await db.select(taskColumns).from(tasks).where(eq(tasks.id, id));
  return task ? { kind: 'task', row: task } : undefined;
}

/** The sessions and tasks whose parent is one of `parentIds`. */
export async function childNodeRows(db: Database, parentIds: string[]): Promise<{ sessions: TreeNodeRow[]; tasks: TreeNodeRow[] }> {
  const [childSessions, childTasks] = await Promise.all([
    db.select(sessionColumns).from(sessions).where(inArray(sessions.parentId, parentIds)),
    db.select(taskColumns).from(tasks).where(inArray(tasks.parentId, parentIds)),
  ]);
  return { sessions: childSessions, tasks: childTasks };
}

/** The ids of the sessions whose parent is one of `parentIds`. */
export async function childSessionIds(db: Database, parentIds: string[]): Promise<string[]> {
  return (await db.select({ id: sessions.id }).from(sessions).where(inArray(sessions.parentId, parentIds))).map((row) => row.id);
}

/** A session's parent: null for a root, undefined when there is no such session. */
export async function sessionParentId(db: Database, id: string): Promise<string | null | undefined> {
  const [row] = await db.select({ parentId: sessions.parentId }).from(sessions).where(eq(sessions.id, id));
  return row?.parentId;
}

/** A task's parent: null for a root, undefined when there is no such task. */
export async function taskParentId(db: Database, id: string): Promise<string | null | undefined> {
  const [row] = await db.select({ parentId: tasks.parentId }).from(tasks).where(eq(tasks.id, id));
  return row?.parentId;
}

export async function sessionExists(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, id));
  return row !== undefined;
}

/** Records that the tree of `rootId` reached its budget; true when this call recorded it first. */
export async function recordBudgetExhaustion(db: Database, rootId: string, budgetUsd: number, costUsd: number): Promise<boolean> {
  const [first] = await db
    .insert(budgetExhaustions)
    .values({ rootId, budgetUsd, costUsd })
    .onConflictDoNothing()
    .returning({ rootId: budgetExhaustions.rootId });
  return first !== undefined;
}
