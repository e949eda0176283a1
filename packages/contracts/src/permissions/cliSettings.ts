import type { RoleRules, RoleSandbox } from './rules.ts';

/** Claude Code's sandbox settings (its `sandbox` block, as 2.1.331's settings schema names them). */
export interface CliSandboxSettings {
  enabled: true;
  /** No sandbox to be had (bubblewrap missing): the CLI refuses to run commands rather than run them bare. */
  failIfUnavailable: true;
  /** Sandboxed commands still go through the permission rules and Mission. */
  autoAllowBashIfSandboxed: false;
  /** The model cannot ask to run a command outside the sandbox. */
  allowUnsandboxedCommands: false;
  network: { allowedDomains: string[] };
  filesystem?: { allowWrite: string[] };
}

/** The part of Claude Code's settings (`--settings`) that carries a role's rules into the CLI itself. */
export interface CliPermissionSettings {
  permissions?: { allow?: string[]; ask?: string[]; deny?: string[] };
  sandbox?: CliSandboxSettings;
}

/**
 * A role's rules as Claude Code's own permission settings, for interactive sessions (headless tasks get
 * the same as `--allowedTools` / `--disallowedTools`): the CLI then refuses what the role denies and asks
 * about what it confirms by itself, so a fault in Mission's own matching alone opens nothing. The rule
 * syntax is the CLI's, so they go as they are. Empty lists are left out, and a role without rules gives
 * `{}` (the CLI then shows its screens exactly as without settings). A role's sandbox becomes the CLI's.
 */
export function cliPermissionSettings(rules: Pick<RoleRules, 'allow' | 'confirm' | 'deny' | 'sandbox'>): CliPermissionSettings {
  const lists = { allow: rules.allow, ask: rules.confirm, deny: rules.deny };
  const permissions = Object.fromEntries(
    Object.entries(lists)
      .filter(([, list]) => list.length > 0)
      .map(([key, list]) => [key, [...list]]),
  );
  return { ...(Object.keys(permissions).length > 0 ? { permissions } : {}), ...cliSandboxSettings(rules.sandbox) };
}

/**
 * Claude Code's sandbox for a role that asks for one (bubblewrap on Linux): commands write only under the
 * working folder (and the role's `writable` folders) and reach only the role's `network` hosts.
 */
export function cliSandboxSettings(sandbox: RoleSandbox | null): { sandbox?: CliSandboxSettings } {
  if (!sandbox) return {};
  return {
    sandbox: {
      enabled: true,
      failIfUnavailable: true,
      autoAllowBashIfSandboxed: false,
      allowUnsandboxedCommands: false,
      network: { allowedDomains: [...sandbox.network] },
      ...(sandbox.writable.length > 0 ? { filesystem: { allowWrite: [...sandbox.writable] } } : {}),
    },
  };
}
