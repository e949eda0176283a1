import { desc, eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { type RoleVersionRow, roleVersions } from '../db/schema.ts';
import { EMPTY_ROLE_RULES, type RoleRules } from './rules.ts';

export interface RoleInForce {
  name: string;
  /** 0 when the role has never been written: no rules, so everything needs a person. */
  version: number;
  rules: RoleRules;
}

/** The newest version row of a role, if it was ever written (`db` may be a transaction). */
export async function latestRoleVersion(db: Database, name: string): Promise<RoleVersionRow | undefined> {
  const [row] = await db.select().from(roleVersions).where(eq(roleVersions.role, name)).orderBy(desc(roleVersions.version)).limit(1);
  return row;
}

/** The newest version of a role's rules. */
export async function roleInForce(db: Database, name: string): Promise<RoleInForce> {
  const row = await latestRoleVersion(db, name);
  if (!row) return { name, version: 0, rules: EMPTY_ROLE_RULES };
  return { name, version: row.version, rules: { description: row.description, allow: row.allow, confirm: row.confirm, deny: row.deny, missionTools: row.missionTools, sandbox: row.sandbox ?? null } };
}
