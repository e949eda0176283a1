import { globsIntersect, type MatchContext } from './pathRules.ts';

/**
 * What in Claude Code's own folder (a project's `.claude`, the home's, or where CLAUDE_CONFIG_DIR moves it) may
 * grant tools: the settings files (their permission rules say what claude runs without asking, their hooks what it
 * runs by itself), the skills, commands and agents (their `allowed-tools` run unasked while one is in use: seen
 * on 2.1.331, a skill a task wrote had the next task's `touch` run with no permission asked, the role allowing `Skill`),
 * and the plugins, which carry all of those and hooks of their own.
 */
const IN_CLAUDE_DIR = ['settings.json', 'settings.local.json', 'skills/*', 'commands/*', 'agents/*', 'plugins/*'];

/** The shell's startup files, in the home. */
const SHELL_STARTUP = ['.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.bash_aliases', '.profile'].concat([
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
]);

/** The folders a family's files are found from: the working folder, the home, the agent's CLI folder if moved. */
interface Places {
  cwd: string;
  home: string;
  claudeDir: string | undefined;
}

/**
 * Files that make claude, or a program the role allows, run what they say unasked: as absolute globs (`*` may cross
 * `/`), the files themselves (`files`: any write there, and a tree that becomes or lands in `folders`), and where
 * the files of any folder (the globs starting with `*`) are in the working folder and the home (`near`): a tree written over those folders
 * may replace them, as it may replace any file `files` names by its absolute path.
 */
interface ConfigFamily {
  kind: ConfigChange;
  files: (places: Places) => string[];
  folders: string[];
  near: (places: Places) => string[];
  /** What a person deciding the write is told, of `shown` (the file or folder as the tool use names it). */
  reason: (shown: string) => string;
}

const FAMILIES: ConfigFamily[] = [
  {
    // Claude Code's own: what its `.claude` folders hold (where CLAUDE_CONFIG_DIR moves the agent's, whatever its
    // name), its config file, a project's MCP servers (commands it starts), the administrator's managed settings.
    kind: 'claude',
    files: ({ claudeDir }) => [
      ...IN_CLAUDE_DIR.map((file) => `*/.claude/${file}`),
      ...(claudeDir ? IN_CLAUDE_DIR.map((file) => `${claudeDir}/${file}`) : []),
      '*/.claude.json',
      '*/.mcp.json',
      '/etc/claude-code/*',
    ],
    folders: ['*/.claude'],
    near: ({ cwd, home, claudeDir }) => [
      `${cwd}/.claude/*`,
      `${cwd}/.mcp.json`,
      `${home}/.claude/*`,
      `${home}/.claude.json`,
      ...(claudeDir ? [`${claudeDir}/*`] : []),
    ],
    reason: (shown) =>
      `it writes ${shown}, part of Claude Code's own configuration (its settings, skills, commands and agents say what claude may run without asking, and what it runs by itself): a person decides`,
  },
  {
    // Git's: a repository's `.git` (its config's `core.fsmonitor`, `core.sshCommand`, `core.pager`, aliases and its
    // hooks make git run programs: tried, a `core.fsmonitor` written into `.git/config` ran on the next `git status`;
    // a `.git` file names the folder git takes all that from), a user's `.gitconfig` and `~/.config/git`, the system's.
    kind: 'git',
    files: () => ['*/.git', '*/.git/*', '*/.gitconfig', '*/.config/git/*', '/etc/gitconfig'],
    folders: ['*/.git'],
    near: ({ cwd, home }) => [`${cwd}/.git/*`, `${home}/.gitconfig`, `${home}/.config/git/*`],
    reason: (shown) =>
      `it writes ${shown}, part of git's own configuration (its settings and hooks make git run programs, which a git command the role allows would run unasked): a person decides`,
  },
  {
    // The shell's startup files in the home: Claude Code's Bash tool takes the aliases and functions they define (seen
    // on 2.1.332: a `ls` function in `~/.bashrc` ran when a task's claude ran `ls`, which its role allowed).
    kind: 'shell',
    files: ({ home }) => SHELL_STARTUP.map((file) => `${home}/${file}`),
    folders: [],
    near: () => [],
    reason: (shown) =>
      `it writes ${shown}, one of the shell's startup files (claude's Bash tool takes the aliases and functions they define, so a command the role allows would run what they say unasked): a person decides`,
  },
  {
    // ssh's, in the home: its config's `ProxyCommand`/`LocalCommand`/`Match exec` run programs on each connection
    // (a `git fetch` over ssh the role allows included), and its keys say who may log in.
    kind: 'ssh',
    files: ({ home }) => [`${home}/.ssh/*`, '/etc/ssh/*'],
    folders: [],
    near: () => [],
    reason: (shown) =>
      `it writes ${shown}, part of ssh's own configuration (its settings run programs on each connection, a git command the role allows included, and its keys say who may log in): a person decides`,
  },
];

/** A write as the guard sees it: an absolute glob of where it goes, and whether it reaches everything below (a tree). */
export interface ConfigWrite {
  glob: string;
  below: boolean;
  /** It brings what may come from outside the working folder (a copy's, move's or link's sources not known to be in it). */
  bringsFromOutside?: boolean;
}

/**
 * How a write may change what runs unasked: it writes one of the files of a family above (`claude`, `git`, `shell`,
 * `ssh`), or a tree that becomes or lands in their folders, or one over the working folder or the home that may replace
 * theirs; or (`tree`) it copies, moves or links a tree from elsewhere below the working folder, where a `.claude`
 * folder that tree carries is claude's too (seen on 2.1.332: a skill in `sub/.claude/skills` loaded once claude read a
 * file in `sub`, and its `allowed-tools` ran `touch` unasked). Null when it cannot. An agent that could change them
 * would grant itself, in this claude or the next, what its role keeps for a person: no allow rule allows such a write
 * (a person decides; a deny rule denies). Pure.
 */
export function configChange(write: ConfigWrite, context: MatchContext): ConfigChange | null {
  const { glob, below } = write;
  const places = {
    cwd: trimSlash(context.cwd),
    home: trimSlash(context.home),
    claudeDir: context.claudeDir && trimSlash(context.claudeDir),
  };
  for (const family of FAMILIES) if (family.files(places).some((file) => globsIntersect(glob, file))) return family.kind;
  if (!below) return null;
  for (const family of FAMILIES) {
    const becomesOrLandsIn = family.folders.some((folder) => globsIntersect(glob, folder) || globsIntersect(glob, `${folder}/*`));
    const replaceable = [...family.files(places).filter((file) => !file.startsWith('*')), ...family.near(places)];
    if (becomesOrLandsIn || replaceable.some((file) => globsIntersect(`${glob}/*`, file))) return family.kind;
  }
  // What already was below the working folder could already load there: only what comes from elsewhere adds to it.
  return write.bringsFromOutside && globsIntersect(`${glob}/*`, `${places.cwd}/*/.claude/*`) ? 'tree' : null;
}

export type ConfigChange = 'claude' | 'tree' | 'git' | 'shell' | 'ssh';

/** What a person deciding such a write is told (`shown`: the file or folder as the tool use names it). */
export function configReason(shown: string, change: ConfigChange): string {
  if (change === 'tree')
    return `it puts a tree in ${shown}, below the working folder, where a .claude folder it may carry is Claude Code's own configuration (skills there load once claude works in that folder, and say what it may run without asking): a person decides`;
  return FAMILIES.find((family) => family.kind === change)!.reason(shown);
}

const trimSlash = (folder: string): string => folder.replace(/\/$/, '');
