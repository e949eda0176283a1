import { and, asc, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { type Database, hot } from '../db/database.ts';
import { type RoleVersionRow, roleVersions, slots } from '../db/schema.ts';
import type { SlotRow } from '../slots/slotStore.ts';
import { agentToolsOf, EMPTY_ROLE_RULES, type RoleRules } from '@mission/contracts';

export interface RoleInForce {
  name: string;
  /** 0 when the role has never been written: no rules, so everything needs a person. */
  version: number;
  /** `missionTools` here are the ones its agents get: the gate's too when it has action classes. */
  rules: RoleRules;
}

/** The newest version row of a role (a draft included), if it was ever written (`db` may be a transaction). */
export async function latestRoleVersion(db: Database, name: string): Promise<RoleVersionRow | undefined> {
  const [row] = await db.select().from(roleVersions).where(eq(roleVersions.role, name)).orderBy(desc(roleVersions.version)).limit(1);
  return row;
}

/** The version of a role in force: the one activated last (a new version is activated as it is written, a draft later). */
export async function activeRoleVersion(db: Database, name: string): Promise<RoleVersionRow | undefined> {
  const [row] = await hot(
    db
      .select()
      .from(roleVersions)
      .where(and(eq(roleVersions.role, name), isNotNull(roleVersions.activatedAt)))
      .orderBy(sql`${roleVersions.activatedAt} desc`, desc(roleVersions.version))
      .limit(1),
  );
  return row;
}

/** The rules of a role in force. */
export async function roleInForce(db: Database, name: string): Promise<RoleInForce> {
  return toRoleInForce(name, await activeRoleVersion(db, name));
}

/** A slot with the role in force of its agents. */
export interface SlotWithRole {
  slot: SlotRow;
  role: RoleInForce;
}

/** A slot with the role in force of its agents, read together (one round trip); undefined when there is no such slot. */
export async function slotWithRoleInForce(db: Database, slotId: string): Promise<SlotWithRole | undefined> {
  const [row] = await hot(db.select().from(slots).leftJoinLateral(activeRoleOfSlot(db), sql`true`).where(eq(slots.id, slotId)));
  return row && slotWithRole(row.slots, row.active);
}

/** The version in force of the role of the `slots` row it is joined to: a lateral subquery, `active`. */
export function activeRoleOfSlot(db: Database) {
  return db
    .select()
    .from(roleVersions)
    .where(and(eq(roleVersions.role, slots.role), isNotNull(roleVersions.activatedAt)))
    .orderBy(sql`${roleVersions.activatedAt} desc`, desc(roleVersions.version))
    .limit(1)
    .as('active');
}

/** A slot row and the row of {@link activeRoleOfSlot} joined to it, as a slot with its role in force. */
export function slotWithRole(slot: SlotRow, active: RoleVersionRow | null): SlotWithRole {
  return { slot, role: toRoleInForce(slot.role, active ?? undefined) };
}

/** The tree budgets that hold for trees rooted on a slot: the slot's own and its role's in force (null: none set). */
export interface SlotTreeBudgets {
  slot: string;
  slotBudget: number | null;
  role: string;
  roleBudget: number | null;
}

/** The tree budgets of the given slots and of their roles in force, read together (one round trip). */
export async function slotTreeBudgets(db: Database, slotIds: string[]): Promise<SlotTreeBudgets[]> {
  if (slotIds.length === 0) return [];
  const active = activeRoleOfSlot(db);
  return db
    .select({ slot: slots.id, slotBudget: slots.treeBudgetUsd, role: slots.role, roleBudget: active.treeBudgetUsd })
    .from(slots)
    .leftJoinLateral(active, sql`true`)
    .where(inArray(slots.id, slotIds));
}

/** A role version's rules as stored (its Mission tools as written, not yet resolved). */
export function storedRoleRules(row: RoleVersionRow) {
  return {
    description: row.description,
    allow: row.allow,
    confirm: row.confirm,
    deny: row.deny,
    missionTools: row.missionTools,
    actionClasses: row.actionClasses,
    sandbox: row.sandbox ?? null,
    slots: row.slots ?? null,
    treeBudgetUsd: row.treeBudgetUsd ?? null,
  };
}

function toRoleInForce(name: string, row: RoleVersionRow | undefined): RoleInForce {
  if (!row) return { name, version: 0, rules: EMPTY_ROLE_RULES };
  const rules = storedRoleRules(row);
  return { name, version: row.version, rules: { ...rules, missionTools: agentToolsOf(rules) } };
}

/** The version in force of every role that has one, by role name. */
export async function activeRoleVersions(db: Database): Promise<RoleVersionRow[]> {
  return db
    .selectDistinctOn([roleVersions.role])
    .from(roleVersions)
    .where(isNotNull(roleVersions.activatedAt))
    .orderBy(asc(roleVersions.role), sql`${roleVersions.activatedAt} desc`, desc(roleVersions.version));
}

/** Every version of a role (drafts included), newest first. */
export async function roleVersionHistory(db: Database, name: string): Promise<RoleVersionRow[]> {
  return db.select().from(roleVersions).where(eq(roleVersions.role, name)).orderBy(desc(roleVersions.version));
}

/** Runs `work` in a transaction holding the role's advisory lock: writers of one role take turns. */
export async function withRoleLock<T>(db: Database, name: string, work: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`role:${name}`}))`);
    return work(tx);
  });
}

/** Puts a version in force now; undefined when the role has no such version. */
export async function markRoleVersionActive(db: Database, name: string, version: number, by: string): Promise<RoleVersionRow | undefined> {
  const [updated] = await db
    .update(roleVersions)
    .set({ activatedAt: sql`clock_timestamp()`, activatedBy: by })
    .where(and(eq(roleVersions.role, name), eq(roleVersions.version, version)))
    .returning();
  return updated;
}

/** Writes a version of a role's rules, in force at once unless `draft`. */
export async function insertRoleVersion(
  db: Database,
  name: string,
  version: number,
  rules: RoleRules,
  by: string,
  draft: boolean,
): Promise<RoleVersionRow> {
  const [inserted] = await db
    .insert(roleVersions)
    .values({
      role: name,
      version,
      ...rules,
      changedBy: by,
      activatedAt: draft ? null : sql`clock_timestamp()`,
      activatedBy: draft ? null : by,
    })
    .returning();
  return inserted!;
}
