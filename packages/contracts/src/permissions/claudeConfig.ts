import { globsIntersect, type MatchContext } from './pathRules.ts';

/**
 * What in Claude Code's own folder (a project's `.claude`, the home's, or where CLAUDE_CONFIG_DIR moves it) may
 * grant tools: the settings files (their permission rules say what claude runs without asking, their hooks what it
 * runs by itself), and the skills, commands and agents (their `allowed-tools` run unasked while one is in use: seen
 * on 2.1.331, a skill a task wrote had the next task's `touch` run with no permission asked, the role allowing `Skill`).
 */
const IN_CLAUDE_DIR = ['settings.json', 'settings.local.json', 'skills/*', 'commands/*', 'agents/*'];

/**
 * Claude Code's own configuration files in any folder, as absolute globs (`*` may cross `/`): what its `.claude`
 * folders hold, its config file and a project's MCP servers (commands it starts), the administrator's managed settings.
 */
const CONFIG_FILES = [...IN_CLAUDE_DIR.map((file) => `*/.claude/${file}`), '*/.claude.json', '*/.mcp.json', '/etc/claude-code/*'];

/**
 * Whether a write to `glob` (an absolute path, or a glob of the paths it may be) may change Claude Code's own
 * configuration (what may grant it tools); with `below`, a write to what is under it (a recursive copy, move or
 * delete), which may where the folder holds a `.claude` folder, or the working folder's or home's configuration. An agent that could change
 * it would grant itself, in the next claude started there, what its role keeps for a person: no allow rule allows
 * such a write (a person decides; a deny rule denies). Pure.
 */
export function mayChangeClaudeConfig(glob: string, below: boolean, context: MatchContext): boolean {
  const claudeDir = context.claudeDir?.replace(/\/$/, '');
  // The agent's CLI folder moved elsewhere (CLAUDE_CONFIG_DIR) keeps its user settings there, whatever its name.
  const files = claudeDir ? [...CONFIG_FILES, ...IN_CLAUDE_DIR.map((file) => `${claudeDir}/${file}`)] : CONFIG_FILES;
  if (files.some((config) => globsIntersect(glob, config))) return true;
  if (!below) return false;
  const cwd = context.cwd.replace(/\/$/, '');
  const home = context.home.replace(/\/$/, '');
  const near = [`${cwd}/.claude/*`, `${cwd}/.mcp.json`, `${home}/.claude/*`, `${home}/.claude.json`, '/etc/claude-code/*'];
  if (claudeDir) near.push(`${claudeDir}/*`);
  return globsIntersect(glob, '*/.claude') || near.some((config) => globsIntersect(`${glob}/*`, config));
}

/** What a person deciding such a write is told (`shown`: the file as the tool use names it). */
export function claudeConfigReason(shown: string): string {
  return `it writes ${shown}, part of Claude Code's own configuration (its settings, skills, commands and agents say what claude may run without asking, and what it runs by itself): a person decides`;
}
