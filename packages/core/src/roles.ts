import { BadRequestError, NotFoundError, parseInput, type Role, roleNameSchema, type RoleRules, roleRulesSchema } from '@mission/contracts';
import {
  activeRoleVersion,
  activeRoleVersions,
  type Database,
  insertRoleVersion,
  latestRoleVersion,
  markRoleVersionActive,
  roleVersionHistory,
  type RoleVersionRow,
  storedRoleRules,
  withRoleLock,
} from '@mission/store';
import { recordAudit } from './audit.ts';
import { readPermissionsFile } from './permissionsFile.ts';

/**
 * Roles and their rules. Every change is a new version (who, when); the version activated last is in
 * force — a new one is activated as it is written unless it is saved as a draft — and workers read it at
 * each permission request, so a change applies at once. Rolling back re-activates an older version.
 */
export class RoleService {
  constructor(private readonly db: Database) {}

  async list(): Promise<Role[]> {
    const rows = await activeRoleVersions(this.db);
    return rows.map((row) => toRole(row, row.version));
  }

  async get(name: string): Promise<Role> {
    const row = await activeRoleVersion(this.db, name);
    if (!row) throw new NotFoundError('role', name);
    return toRole(row, row.version);
  }

  /** Every version of a role (drafts included), newest first. */
  async history(name: string): Promise<Role[]> {
    const rows = await roleVersionHistory(this.db, name);
    if (rows.length === 0) throw new NotFoundError('role', name);
    const active = await activeRoleVersion(this.db, name);
    return rows.map((row) => toRole(row, active?.version));
  }

  /** Sets a role's rules (a new version, in force at once unless `draft`); rules in the wrong syntax are a 400 that names them. */
  async put(name: string, body: unknown, by: string, options: { draft?: boolean } = {}): Promise<Role> {
    const roleName = parseInput(roleNameSchema, name, 'role name');
    return this.write(roleName, parseInput(roleRulesSchema, body, 'role'), by, options.draft ?? false);
  }

  /** Puts an existing version in force: a draft (`activate`), or an older version (`rollback`). */
  async activate(name: string, version: number, by: string, kind: 'role_activated' | 'role_rollback' = 'role_activated'): Promise<Role> {
    const row = await withRoleLock(this.db, name, async (tx) => {
      const previous = await activeRoleVersion(tx, name);
      const updated = await markRoleVersionActive(tx, name, version, by);
      if (!updated) {
        const latest = await latestRoleVersion(tx, name);
        if (!latest) throw new NotFoundError('role', name);
        throw new BadRequestError(`role '${name}' has no version ${version} (its versions are 1 to ${latest.version})`);
      }
      await recordAudit(tx, { kind, actor: by, target: name, details: { version, previousVersion: previous?.version ?? null } });
      return updated;
    });
    return toRole(row, row.version);
  }

  /** Loads `permissions.yaml`: a role whose rules differ from the ones in force gets a new version. */
  async syncFromFile(file: string): Promise<string[] | undefined> {
    const roles = readPermissionsFile(file);
    if (!roles) return undefined;
    const changed: string[] = [];
    for (const [name, rules] of Object.entries(roles)) {
      const current = await activeRoleVersion(this.db, name);
      if (current && sameRules(current, rules)) continue;
      await this.write(name, rules, `file:${file}`, false);
      changed.push(name);
    }
    return changed;
  }

  /** Appends the next version; writers of one role take turns on an advisory lock, so numbers never clash. */
  private async write(name: string, rules: RoleRules, by: string, draft: boolean): Promise<Role> {
    const row = await withRoleLock(this.db, name, async (tx) => {
      const latest = await latestRoleVersion(tx, name);
      return insertRoleVersion(tx, name, (latest?.version ?? 0) + 1, rules, by, draft);
    });
    const active = draft ? await activeRoleVersion(this.db, name) : row;
    return toRole(row, active?.version);
  }
}

function sameRules(a: RoleRules, b: RoleRules): boolean {
  const key = (r: RoleRules) =>
    JSON.stringify([r.description, r.allow, r.confirm, r.deny, r.missionTools, r.actionClasses, r.sandbox, r.slots]);
  return key(a) === key(b);
}

function toRole(row: RoleVersionRow, activeVersion: number | undefined): Role {
  return {
    name: row.role,
    version: row.version,
    ...storedRoleRules(row),
    changedBy: row.changedBy,
    changedAt: row.changedAt.toISOString(),
    draft: row.activatedAt === null,
    active: row.version === activeVersion,
    activatedAt: row.activatedAt?.toISOString() ?? null,
    activatedBy: row.activatedBy,
  };
}
