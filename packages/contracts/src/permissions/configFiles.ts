import { globsIntersect, type MatchContext } from './pathRules.ts';

/**
 * What in Claude Code's own folder (a project's `.claude`, the home's, or where CLAUDE_CONFIG_DIR moves it) may
 * grant tools: the settings files (their permission rules say what claude runs without asking, their hooks what it
 * runs by itself), the skills, commands and agents (their `allowed-tools` run unasked while one is in use: seen
 * on 2.1.331, a skill a task wrote had the next task's `touch` run with no permission asked, the role allowing `Skill`),
 * and the plugins, which carry all of those and hooks of their own.
 */
const IN_CLAUDE_DIR = ['settings.json', 'settings.local.json', 'skills/*', 'commands/*', 'agents/*', 'plugins/*'];

/**
 * Claude Code's own configuration files in any folder, as absolute globs (`*` may cross `/`): what its `.claude`
 * folders hold, its config file and a project's MCP servers (commands it starts), the administrator's managed settings.
 */
const CONFIG_FILES = [...IN_CLAUDE_DIR.map((file) => `*/.claude/${file}`), '*/.claude.json', '*/.mcp.json', '/etc/claude-code/*'];

/**
 * Git's own configuration, as absolute globs: a repository's `.git` (its config's `core.fsmonitor`, `core.sshCommand`,
 * `core.pager`, aliases and its hooks make git run programs: tried, a `core.fsmonitor` written into `.git/config` ran
 * on the next `git status`; a `.git` file names the folder git takes all that from), a user's `.gitconfig` and
 * `~/.config/git`, the system's.
 */
const GIT_FILES = ['*/.git', '*/.git/*', '*/.gitconfig', '*/.config/git/*', '/etc/gitconfig'];

/**
 * The shell's startup files in the home: Claude Code's Bash tool takes the aliases and functions they define (seen on
 * 2.1.332: a `ls` function in `~/.bashrc` ran when a task's claude ran `ls`, which its role allowed).
 */
const SHELL_STARTUP = [
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.bash_aliases',
  '.profile',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
];

/** A write as the guard sees it: an absolute glob of where it goes, and whether it reaches everything below (a tree). */
export interface ConfigWrite {
  glob: string;
  below: boolean;
  /** It brings what may come from outside the working folder (a copy's, move's or link's sources not known to be in it). */
  bringsFromOutside?: boolean;
}

/**
 * How a write may change what runs unasked: `claude`, it writes Claude Code's own configuration (what may grant it
 * tools) — a configuration file, a `.claude` folder or what is in one, or (a tree) the working folder's or the home's;
 * `tree`, it copies, moves or links a tree from elsewhere below the working folder, where a `.claude` folder that tree
 * carries is claude's too (seen on 2.1.332: a skill in `sub/.claude/skills` loaded once claude read a file in `sub`,
 * and its `allowed-tools` ran `touch` unasked); `git`, it writes git's own configuration or hooks, which a git command
 * the role allows would then run; `shell`, it writes a startup file of the shell claude's commands run in. Null when
 * it cannot. An agent that could change them would grant itself, in this
 * claude or the next, what its role keeps for a person: no allow rule allows such a write (a person decides; a deny
 * rule denies). Pure.
 */
export function configChange(write: ConfigWrite, context: MatchContext): ConfigChange | null {
  const { glob, below } = write;
  const claudeDir = context.claudeDir?.replace(/\/$/, '');
  // The agent's CLI folder moved elsewhere (CLAUDE_CONFIG_DIR) keeps its user settings there, whatever its name.
  const files = claudeDir ? [...CONFIG_FILES, ...IN_CLAUDE_DIR.map((file) => `${claudeDir}/${file}`)] : CONFIG_FILES;
  if (files.some((config) => globsIntersect(glob, config))) return 'claude';
  if (GIT_FILES.some((config) => globsIntersect(glob, config))) return 'git';
  const cwd = context.cwd.replace(/\/$/, '');
  const home = context.home.replace(/\/$/, '');
  const shellFiles = SHELL_STARTUP.map((file) => `${home}/${file}`);
  if (shellFiles.some((startup) => globsIntersect(glob, startup))) return 'shell';
  if (!below) return null;
  const near = [`${cwd}/.claude/*`, `${cwd}/.mcp.json`, `${home}/.claude/*`, `${home}/.claude.json`, '/etc/claude-code/*'];
  if (claudeDir) near.push(`${claudeDir}/*`);
  // A tree that becomes a `.claude` folder, or lands in one (as its skills, say), or in the folders claude reads first.
  if (globsIntersect(glob, '*/.claude') || globsIntersect(glob, '*/.claude/*')) return 'claude';
  if (near.some((config) => globsIntersect(`${glob}/*`, config))) return 'claude';
  // The same for git: a tree that lands in the working folder's or the home's git files (one that becomes a `.git`
  // folder is a write of `.git`, above).
  const nearGit = [`${cwd}/.git/*`, `${home}/.gitconfig`, `${home}/.config/git/*`];
  if (nearGit.some((config) => globsIntersect(`${glob}/*`, config))) return 'git';
  if (shellFiles.some((startup) => globsIntersect(`${glob}/*`, startup))) return 'shell';
  // What already was below the working folder could already load there: only what comes from elsewhere adds to it.
  return write.bringsFromOutside && globsIntersect(`${glob}/*`, `${cwd}/*/.claude/*`) ? 'tree' : null;
}

export type ConfigChange = 'claude' | 'tree' | 'git' | 'shell';

/** What a person deciding such a write is told (`shown`: the file or folder as the tool use names it). */
export function configReason(shown: string, change: ConfigChange): string {
  if (change === 'tree')
    return `it puts a tree in ${shown}, below the working folder, where a .claude folder it may carry is Claude Code's own configuration (skills there load once claude works in that folder, and say what it may run without asking): a person decides`;
  if (change === 'shell')
    return `it writes ${shown}, one of the shell's startup files (claude's Bash tool takes the aliases and functions they define, so a command the role allows would run what they say unasked): a person decides`;
  if (change === 'git')
    return `it writes ${shown}, part of git's own configuration (its settings and hooks make git run programs, which a git command the role allows would run unasked): a person decides`;
  return `it writes ${shown}, part of Claude Code's own configuration (its settings, skills, commands and agents say what claude may run without asking, and what it runs by itself): a person decides`;
}
