import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readOwnedFile, writeOwnedFile } from './ownedFiles.ts';

/**
 * Everything Mission knows about the Claude Code CLI's home: what it must hold so that `claude` starts
 * straight into its prompt (no onboarding, folder trust, API key confirmation or auto-mode offer), and
 * the environment that keeps it from updating itself or phoning home. Workers prepare it before a claude
 * starts; `mission doctor` checks it; the tests use it for their throwaway homes.
 */

/** Always in a claude's environment: Mission pins the CLI's version, so it never updates itself. */
export const CLAUDE_QUIET_ENV: Readonly<Record<string, string>> = {
  DISABLE_AUTOUPDATER: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
};

/** Where the CLI keeps its files for an environment (HOME, CLAUDE_CONFIG_DIR). */
export interface ClaudeHomePaths {
  /** The folder they are all under: the HOME, or CLAUDE_CONFIG_DIR (the agent's, read and written as {@link readOwnedFile} does). */
  root: string;
  /** The global config (`.claude.json`): onboarding, trusted folders, approved API keys. */
  config: string;
  /** The user settings (`settings.json`). */
  settings: string;
  /** The login `/login` stores (`.credentials.json`; on macOS the Keychain holds it instead). */
  credentials: string;
  /** The sessions' transcripts (`projects/<project>/<session id>.jsonl`). */
  projects: string;
}

export function claudeHomePaths(env: Record<string, string | undefined>): ClaudeHomePaths {
  const configDir = env.CLAUDE_CONFIG_DIR;
  const home = env.HOME ?? os.homedir();
  const dir = configDir ?? path.join(home, '.claude');
  return {
    root: configDir ?? home,
    config: configDir ? path.join(configDir, '.claude.json') : path.join(home, '.claude.json'),
    settings: path.join(dir, 'settings.json'),
    credentials: path.join(dir, '.credentials.json'),
    projects: path.join(dir, 'projects'),
  };
}

/** Environment variables that give the CLI a way to the model without a login. */
const AUTH_VARIABLES = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
];

/**
 * How a claude started with `env` would reach the model — an API key or token variable, a cloud provider,
 * an `apiKeyHelper` in its settings, or a stored login — or null when it has none and would say
 * "Not logged in · Please run /login" to every prompt.
 */
export async function findClaudeAuth(env: Record<string, string | undefined>): Promise<string | null> {
  const variable = AUTH_VARIABLES.find((name) => env[name]);
  if (variable) return variable;
  const paths = claudeHomePaths(env);
  if (typeof (await readClaudeJson(paths.settings)).apiKeyHelper === 'string') return `apiKeyHelper in ${paths.settings}`;
  const stored = await fs.stat(paths.credentials).then(
    () => true,
    () => false,
  );
  return stored ? `the login stored in ${paths.credentials}` : null;
}

/** The CLI remembers a custom API key's approval by its last 20 characters. */
export function apiKeyFingerprint(apiKey: string): string {
  return apiKey.slice(-20);
}

export interface ClaudeHomeNeeds {
  /** Folders claude runs in (their subfolders are trusted with them). */
  trustedDirs: readonly string[];
  /** The ANTHROPIC_API_KEY claude will see, if any: approved so the CLI does not ask. */
  apiKey?: string;
}

type Json = Record<string, unknown>;

/** The global config with onboarding done, the folders trusted and the key approved; every other entry kept. Pure. */
export function withClaudeConfig(config: Json, needs: ClaudeHomeNeeds): Json {
  const projects = { ...asObject(config.projects) };
  for (const dir of needs.trustedDirs) projects[dir] = { ...asObject(projects[dir]), hasTrustDialogAccepted: true };
  const next: Json = { ...config, hasCompletedOnboarding: true, projects };
  if (needs.apiKey) {
    const responses = asObject(config.customApiKeyResponses);
    const fingerprint = apiKeyFingerprint(needs.apiKey);
    const approved = asStrings(responses.approved);
    next.customApiKeyResponses = {
      ...responses,
      approved: approved.includes(fingerprint) ? approved : [...approved, fingerprint],
      rejected: asStrings(responses.rejected).filter((key) => key !== fingerprint),
    };
  }
  return next;
}

/**
 * The user settings with auto mode off: Mission answers permission requests by the role's rules, so the
 * CLI must ask rather than decide on its own, and must not offer to switch. Every other setting kept. Pure.
 */
export function withClaudeSettings(settings: Json): Json {
  return { ...settings, disableAutoMode: 'disable' };
}

/** What is missing from a home for claude to start without a question there, in Mission's words (empty: ready). */
export function claudeHomeProblems(config: Json, settings: Json, needs: ClaudeHomeNeeds): string[] {
  const problems: string[] = [];
  if (config.hasCompletedOnboarding !== true) problems.push('onboarding is not marked done (hasCompletedOnboarding)');
  const projects = asObject(config.projects);
  for (const dir of needs.trustedDirs) {
    if (!isTrusted(projects, dir)) problems.push(`the folder ${dir} is not trusted`);
  }
  if (needs.apiKey && !asStrings(asObject(config.customApiKeyResponses).approved).includes(apiKeyFingerprint(needs.apiKey))) {
    problems.push('ANTHROPIC_API_KEY is not approved (the CLI would ask "Do you want to use this API key?")');
  }
  if (settings.disableAutoMode !== 'disable') problems.push('auto mode is not disabled (disableAutoMode: "disable")');
  return problems;
}

/** The CLI trusts a folder when it or one of its parents was accepted. */
function isTrusted(projects: Json, dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    if (asObject(projects[current]).hasTrustDialogAccepted === true) return true;
    if (path.dirname(current) === current) return false;
  }
}

/** Reads the home's files (missing ones are empty). */
export async function readClaudeHome(paths: ClaudeHomePaths): Promise<{ config: Json; settings: Json }> {
  return { config: await readClaudeJson(paths.config, paths.root), settings: await readClaudeJson(paths.settings, paths.root) };
}

/**
 * Prepares the CLI's home for `needs`: merges what Mission needs into its config and settings (creating
 * them if missing), writing a file only when something changes, atomically (a rename), so a claude reading
 * it never sees half a file. Folders are trusted by their real path, as the CLI looks them up.
 */
export function prepareClaudeHome(paths: ClaudeHomePaths, needs: ClaudeHomeNeeds): Promise<void> {
  // One at a time per file in this process: two spawns merging at once would lose one's folder.
  const previous = preparing.get(paths.config) ?? Promise.resolve();
  const next = previous.then(() => prepare(paths, needs));
  const settled = next.catch(() => {
    // the failure is the caller's (it gets `next`): the next one in line only waits for this one to settle
  });
  preparing.set(paths.config, settled);
  void settled.then(() => preparing.get(paths.config) === settled && preparing.delete(paths.config));
  return next;
}

/** The home of the claude that runs with `env` (its HOME or CLAUDE_CONFIG_DIR), prepared for running in `dirs`. */
export function prepareClaudeHomeFor(env: Record<string, string | undefined>, dirs: readonly string[]): Promise<void> {
  return prepareClaudeHome(claudeHomePaths(env), { trustedDirs: dirs, apiKey: env.ANTHROPIC_API_KEY });
}

const preparing = new Map<string, Promise<void>>();

async function prepare(paths: ClaudeHomePaths, needs: ClaudeHomeNeeds): Promise<void> {
  const trustedDirs = await Promise.all(needs.trustedDirs.map((dir) => fs.realpath(dir)));
  const { config, settings } = await readClaudeHome(paths);
  const resolved = { ...needs, trustedDirs };
  if (claudeHomeProblems(config, settings, resolved).length === 0) return;
  await writeIfChanged(paths.root, paths.config, config, withClaudeConfig(config, resolved));
  await writeIfChanged(paths.root, paths.settings, settings, withClaudeSettings(settings));
}

/** Writes one of the home's files (below `root`) when its content changes: the home's owner's, as the agent's claude must write it too. */
async function writeIfChanged(root: string, file: string, before: Json, after: Json): Promise<void> {
  const text = JSON.stringify(after, null, 2);
  if (text === JSON.stringify(before, null, 2)) return;
  await writeOwnedFile(root, path.relative(root, file), `${text}\n`);
}

/**
 * A JSON file of Claude Code's as an object ({} when it is missing or empty); not JSON: an error saying which file.
 * With `root` (a folder of the agent's holding it), read as {@link readOwnedFile} reads: no link out of it followed.
 */
export async function readClaudeJson(file: string, root?: string): Promise<Json> {
  const text =
    root === undefined ? await fs.readFile(file, 'utf8').catch(missingAsNull) : await readOwnedFile(root, path.relative(root, file));
  if (text === null || text.trim() === '') return {};
  try {
    return asObject(JSON.parse(text));
  } catch (error) {
    throw new Error(`Claude Code's file ${file} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function missingAsNull(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
}
