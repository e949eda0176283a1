import type { RoleRules } from './rules.ts';

/** The part of Claude Code's settings (`--settings`) that carries a role's rules into the CLI itself. */
export interface CliPermissionSettings {
  permissions?: { allow?: string[]; ask?: string[]; deny?: string[] };
}

/**
 * A role's rules as Claude Code's own permission settings, for interactive sessions (headless tasks get
 * the same as `--allowedTools` / `--disallowedTools`): the CLI then refuses what the role denies and asks
 * about what it confirms by itself, so a fault in Mission's own matching alone opens nothing. The rule
 * syntax is the CLI's, so they go as they are. Empty lists are left out, and a role without rules gives
 * `{}` (the CLI then shows its screens exactly as without settings).
 */
export function cliPermissionSettings(rules: Pick<RoleRules, 'allow' | 'confirm' | 'deny'>): CliPermissionSettings {
  const lists = { allow: rules.allow, ask: rules.confirm, deny: rules.deny };
  const permissions = Object.fromEntries(Object.entries(lists).filter(([, list]) => list.length > 0).map(([key, list]) => [key, [...list]]));
  return Object.keys(permissions).length > 0 ? { permissions } : {};
}
