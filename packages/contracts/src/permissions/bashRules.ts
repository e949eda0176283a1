/**
 * Claude Code's specifiers for `Bash(…)` rules, matched against one simple command (the shell analysis
 * splits a command line into those first):
 *
 * - `npm run build` — exactly that command;
 * - `npm run test:*` (legacy) — `npm run test` alone or followed by a space and anything;
 * - `npm run *`, `git * main`, `* --version` — `*` stands for any text, spaces included, anywhere; a
 *   single trailing ` *` may also stand for nothing, so `ls *` matches `ls` and `ls -la` but not
 *   `lsof`, while `ls*` matches all three; `\*` is a literal star;
 * - `*` alone (like a bare `Bash`) — every command.
 *
 * Commands are given as text whose run-time parts (`$VAR`, `$(…)`, `{}` of find -exec …) are the
 * {@link HOLE} character: only a `*` of the rule can stand for it, so `Bash(echo *)` covers `echo $HOME`
 * but `Bash(echo hi)` does not.
 */
export const HOLE = '\u0000';

export interface BashPattern {
  /** Whether the command text matches for certain. */
  matches(command: string): boolean;
  /**
   * Whether some command starting with `prefix` could match: used for commands whose text after
   * `prefix` is only known at run time (a deny rule that might match makes them confirm).
   */
  mayMatchFrom(prefix: string): boolean;
}

const cache = new Map<string, BashPattern>();
const CACHE_LIMIT = 2_000;

/** Compiles a Bash rule's specifier (null for a bare `Bash`); compiled patterns are cached by text. */
export function bashPattern(specifier: string | null): BashPattern {
  const key = specifier ?? '';
  let pattern = cache.get(key);
  if (!pattern) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    pattern = compile(specifier);
    cache.set(key, pattern);
  }
  return pattern;
}

function compile(specifier: string | null): BashPattern {
  const spec = specifier?.trim() ?? '*';
  if (spec === '*') return { matches: () => true, mayMatchFrom: () => true };
  // The legacy `prefix:*` is the wildcard form `prefix *`, whose trailing ` *` may stand for nothing.
  const wildcard = spec.endsWith(':*') ? `${spec.slice(0, -2).trimEnd()} *` : spec;
  const chunks = splitAtStars(wildcard);
  if (chunks.length === 1) {
    const exact = chunks[0]!;
    return { matches: (command) => command === exact, mayMatchFrom: (prefix) => exact.startsWith(prefix) };
  }
  const last = chunks.length - 1;
  const optionalTail = chunks.length === 2 && chunks[1] === '' && chunks[0]!.endsWith(' ');
  const source = optionalTail
    ? `${escapeRegExp(chunks[0]!.slice(0, -1))}(?: [^]*)?`
    : chunks.map((chunk, i) => escapeRegExp(chunk) + (i < last ? '[^]*' : '')).join('');
  const regex = new RegExp(`^${source}$`);
  const head = optionalTail ? chunks[0]!.slice(0, -1) : chunks[0]!;
  return {
    matches: (command) => regex.test(command),
    // A star after the literal head can absorb whatever follows the prefix.
    mayMatchFrom: (prefix) => prefix.startsWith(head) || head.startsWith(prefix),
  };
}

/** The literal pieces between unescaped stars (`\*` and `\\` are the literal characters). */
function splitAtStars(spec: string): string[] {
  const chunks: string[] = [];
  let current = '';
  for (let i = 0; i < spec.length; i++) {
    const char = spec[i]!;
    if (char === '\\' && (spec[i + 1] === '*' || spec[i + 1] === '\\')) current += spec[++i];
    else if (char === '*') {
      chunks.push(current);
      current = '';
    } else current += char;
  }
  chunks.push(current);
  return chunks;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
