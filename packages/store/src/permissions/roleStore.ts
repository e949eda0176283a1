import { and, desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { type RoleVersionRow, roleVersions } from '../db/schema.ts';
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
  const [row] = await db
    .select()
    .from(roleVersions)
    .where(and(eq(roleVersions.role, name), isNotNull(roleVersions.activatedAt)))
    .orderBy(sql`${roleVersions.activatedAt} desc`, desc(roleVersions.version))
    .limit(1);
  return row;
}

/** The rules of a role in force. */
export async function roleInForce(db: Database, name: string): Promise<RoleInForce> {
  const row = await activeRoleVersion(db, name);
  if (!row) return { name, version: 0, rules: EMPTY_ROLE_RULES };
  const rules = { description: row.description, allow: row.allow, confirm: row.confirm, deny: row.deny, missionTools: row.missionTools, actionClasses: row.actionClasses, sandbox: row.sandbox ?? null, slots: row.slots ?? null };
  return { name, version: row.version, rules: { ...rules, missionTools: agentToolsOf(rules) } };
}
