import fs from 'node:fs/promises';
import path from 'node:path';
import { claudeHomePaths, readClaudeJson } from '../claudeHome.ts';

/** Where Claude Code reads managed settings on Linux (2.1.331 takes no other place there). */
export const MANAGED_SETTINGS_DIR = '/etc/claude-code';

/** The settings files that can forbid the hooks a session's claude is started with, by precedence. */
export interface SettingsFiles {
  /**
   * The user's, the project's, the project's local ones: the last one that sets `disableAllHooks` decides it. Each in
   * `root`, the agent's folder holding it (its CLI home, its working folder), read with no link out of it followed.
   */
  ordered: { file: string; root: string }[];
  /** The managed ones (a file and its drop-ins): any of them that disables hooks, or allows managed ones only, wins. */
  managed: string[];
}

/** A settings file and what it holds ({} when it is missing). */
export interface ReadSettings {
  file: string;
  settings: Record<string, unknown>;
}

/**
 * The settings files of the claude that runs with `env` in `cwd`: its user settings (under its HOME or
 * CLAUDE_CONFIG_DIR), the project's `.claude/settings.json` and `.claude/settings.local.json`, and the managed ones
 * in `managedDir` (`managed-settings.json`, then the `managed-settings.d/*.json` drop-ins in name order).
 */
export async function settingsFilesOf(
  env: Record<string, string | undefined>,
  cwd: string,
  managedDir = MANAGED_SETTINGS_DIR,
): Promise<SettingsFiles> {
  const home = claudeHomePaths(env);
  const dropIns = path.join(managedDir, 'managed-settings.d');
  const names = await fs.readdir(dropIns).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return {
    ordered: [
      { file: home.settings, root: home.root },
      { file: path.join(cwd, '.claude', 'settings.json'), root: cwd },
      { file: path.join(cwd, '.claude', 'settings.local.json'), root: cwd },
    ],
    managed: [
      path.join(managedDir, 'managed-settings.json'),
      ...names
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => path.join(dropIns, name)),
    ],
  };
}

/** Why the claude reading `files` would call none of the hooks Mission starts it with (null: nothing forbids them). */
export async function hooksForbiddenBy(files: SettingsFiles): Promise<string | null> {
  const read = (list: { file: string; root?: string }[]) =>
    Promise.all(list.map(async ({ file, root }) => ({ file, settings: await readClaudeJson(file, root) })));
  return hooksForbidden(await read(files.ordered), await read(files.managed.map((file) => ({ file }))));
}

/**
 * Why hooks given on claude's command line would not run, from its settings (`ordered`: user, project, local;
 * `managed`: the administrator's): `disableAllHooks` as the last of the ordered files that sets it says (the
 * command line outranks them, but Mission's settings there leave it unset), or set in a managed file, or
 * `allowManagedHooksOnly` in a managed file. As the CLI reads it, `disableAllHooks` is set unless false, "false"
 * or null. Pure.
 */
export function hooksForbidden(ordered: readonly ReadSettings[], managed: readonly ReadSettings[]): string | null {
  for (const { file, settings } of managed) {
    if (disables(settings.disableAllHooks)) return `disableAllHooks in ${file}`;
    if (settings.allowManagedHooksOnly === true) return `allowManagedHooksOnly in ${file}`;
  }
  const last = ordered.findLast(({ settings }) => settings.disableAllHooks !== undefined);
  return last && disables(last.settings.disableAllHooks) ? `disableAllHooks in ${last.file}` : null;
}

function disables(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 'false';
}
