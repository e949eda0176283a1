import {
  type Database,
  latestRoleVersion,
  NotFoundError,
  parseInput,
  type Role,
  roleNameSchema,
  type RoleRules,
  roleRulesSchema,
  type RoleVersionRow,
  tables,
} from '@mission/shared';
import { asc, desc, eq, sql } from 'drizzle-orm';
import { readPermissionsFile } from './permissionsFile.ts';

const { roleVersions } = tables;

/**
 * Roles and their rules. Every change is a new version (who, when); the newest is in force, and
 * workers read it at each permission request, so a change applies at once.
 */
export class RoleService {
  constructor(private readonly db: Database) {}

  async list(): Promise<Role[]> {
    const rows = await this.db
      .selectDistinctOn([roleVersions.role])
      .from(roleVersions)
      .orderBy(asc(roleVersions.role), desc(roleVersions.version));
    return rows.map(toRole);
  }

  async get(name: string): Promise<Role> {
    const row = await latestRoleVersion(this.db, name);
    if (!row) throw new NotFoundError('role', name);
    return toRole(row);
  }

  /** Every version of a role, newest first. */
  async history(name: string): Promise<Role[]> {
    const rows = await this.db.select().from(roleVersions).where(eq(roleVersions.role, name)).orderBy(desc(roleVersions.version));
    if (rows.length === 0) throw new NotFoundError('role', name);
    return rows.map(toRole);
  }

  /** Sets a role's rules (a new version); rules in the wrong syntax are a 400 that names them. */
  async put(name: string, body: unknown, by: string): Promise<Role> {
    const roleName = parseInput(roleNameSchema, name, 'role name');
    return this.write(roleName, parseInput(roleRulesSchema, body, 'role'), by);
  }

  /** Loads `permissions.yaml`: a role whose rules differ from the ones in force gets a new version. */
  async syncFromFile(file: string): Promise<string[] | undefined> {
    const roles = readPermissionsFile(file);
    if (!roles) return undefined;
    const changed: string[] = [];
    for (const [name, rules] of Object.entries(roles)) {
      const current = await latestRoleVersion(this.db, name);
      if (current && sameRules(current, rules)) continue;
      await this.write(name, rules, `file:${file}`);
      changed.push(name);
    }
    return changed;
  }

  /** Appends the next version; writers of one role take turns on an advisory lock, so numbers never clash. */
  private async write(name: string, rules: RoleRules, by: string): Promise<Role> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`role:${name}`}))`);
      const latest = await latestRoleVersion(tx, name);
      const [row] = await tx
        .insert(roleVersions)
        .values({ role: name, version: (latest?.version ?? 0) + 1, ...rules, changedBy: by })
        .returning();
      return toRole(row!);
    });
  }
}

function sameRules(a: RoleRules, b: RoleRules): boolean {
  const parts = (r: RoleRules) => [r.description, r.allow, r.confirm, r.deny, r.missionTools, r.sandbox];
  return JSON.stringify(parts(a)) === JSON.stringify(parts(b));
}

function toRole(row: RoleVersionRow): Role {
  return {
    name: row.role,
    version: row.version,
    description: row.description,
    allow: row.allow,
    confirm: row.confirm,
    deny: row.deny,
    missionTools: row.missionTools,
    sandbox: row.sandbox ?? null,
    changedBy: row.changedBy,
    changedAt: row.changedAt.toISOString(),
  };
}
