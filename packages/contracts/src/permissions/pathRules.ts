import path from 'node:path';

/** Where the agent runs: relative paths in inputs and in rules are read against `cwd`. */
export interface MatchContext {
  cwd: string;
  home: string;
  /** The CLI's own folder where the agent's environment moves it (`CLAUDE_CONFIG_DIR`); `~/.claude` when absent. */
  claudeDir?: string;
  /**
   * An absolute path with the links on the disk followed (the part of it that exists; null when it cannot be
   * resolved). The worker gives it: a file named through a link is decided under both names. Left out, paths are
   * decided as named (decide stays pure).
   */
  realPath?: (file: string) => string | null;
}

/**
 * Gitignore-style path patterns of `Read(…)` / `Edit(…)` rules: `//abs/**` from the filesystem root,
 * `~/x` from home, `/x`, `./x` and `x/y` from the working folder (Mission has no settings file for
 * `/x` to be relative to), a pattern without `/` (`*.env`, `secrets`) matches the name of the file or
 * of a folder it is in, at any depth. A pattern naming a folder covers what is inside it.
 */
export function pathMatches(pattern: string, file: string, context: MatchContext): boolean {
  const absolute = resolvePath(file, context);
  if (!pattern.includes('/')) {
    // As in gitignore: the name of the file or of any folder it is in (which covers what is inside).
    const name = globToRegExp(pattern, true);
    return absolute.split('/').some((segment) => segment !== '' && name.test(segment));
  }
  const [base, rest] = patternBase(pattern, context);
  const relative = path.relative(base, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
  const glob = globToRegExp(rest.replace(/\/$/, ''), true);
  return glob.test(relative) || (!/[*?]/.test(rest) && relative.startsWith(`${rest.replace(/\/$/, '')}/`));
}

/** An input path made absolute: `~/` is home, anything else is read against the working folder. */
export function resolvePath(file: string, context: MatchContext): string {
  return path.resolve(context.cwd, file === '~' ? context.home : file.startsWith('~/') ? path.join(context.home, file.slice(2)) : file);
}

function patternBase(pattern: string, context: MatchContext): [string, string] {
  if (pattern.startsWith('//')) return ['/', pattern.slice(2)];
  if (pattern.startsWith('~/')) return [context.home, pattern.slice(2)];
  return [context.cwd, pattern.replace(/^\.?\//, '')];
}

/**
 * A rule's path pattern as absolute globs in which `*` and `?` may also cross `/` (wider than the rule:
 * they only tell whether a path known in part could match it): the pattern, and what is inside it.
 */
export function ruleGlobs(pattern: string, context: MatchContext): string[] {
  const [base, rest] = pattern.includes('/') ? patternBase(pattern, context) : ['*', pattern];
  const glob = `${base.replace(/\/$/, '')}/${rest.replace(/\/$/, '')}`;
  return [glob, `${glob}/*`];
}

/** The longest globs {@link globsIntersect} compares; above it, it answers yes. */
const MAX_INTERSECT_CHARS = 2_000;

/**
 * Whether some string matches both globs, where `*` is any text and `?` any one character (every other
 * character is itself). Wider is safe here: it answers yes when the comparison would be too long.
 */
export function globsIntersect(a: string, b: string): boolean {
  if (a.length + b.length > MAX_INTERSECT_CHARS) return true;
  const seen = new Set<number>();
  const width = b.length + 1;
  const visit = (i: number, j: number): boolean => {
    if (i === a.length && j === b.length) return true;
    const key = i * width + j;
    if (seen.has(key)) return false;
    seen.add(key);
    if (a[i] === '*' && (visit(i + 1, j) || (j < b.length && visit(i, j + 1)))) return true;
    if (b[j] === '*' && (visit(i, j + 1) || (i < a.length && visit(i + 1, j)))) return true;
    if (i < a.length && j < b.length && a[i] !== '*' && b[j] !== '*') {
      return (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && visit(i + 1, j + 1);
    }
    return false;
  };
  return visit(0, 0);
}

/** `**` spans folders, `*` and `?` stay within one when `paths`; without `paths`, `*` matches anything. */
export function globToRegExp(glob: string, paths: boolean): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (paths && glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (paths && glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += paths ? '[^/]*' : '.*';
    else if (char === '?') source += paths ? '[^/]' : '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
