import fs from 'node:fs';
import path from 'node:path';
import { decide, type MatchContext, type PolicyDecision, type RoleRules, type ToolUse } from '@mission/contracts';

/** The role's decision on `use` as the worker makes it: a file named through a link on the disk decided under both names. */
export function decideOnDisk(rules: RoleRules, use: ToolUse, context: MatchContext): PolicyDecision {
  return decide(rules, use, { ...context, realPath: realPathOnDisk });
}

/**
 * `file` (absolute) with the links on the disk followed: the deepest part of it that exists, resolved, and the rest
 * as named; null when that part cannot be resolved (a loop of links, a folder it may not search: a tool fails on that
 * path too, reaching nothing). The guard gives it to `decide` (`MatchContext.realPath`), so a file named through a
 * link — one the agent made with a program the guard does not follow, or one a repository holds — is decided under
 * the name the disk gives it too. A few `lstat`/`readlink` calls, no file opened.
 */
export function realPathOnDisk(file: string): string | null {
  const rest: string[] = [];
  for (let existing = file; ; existing = path.dirname(existing)) {
    try {
      return path.join(fs.realpathSync.native(existing), ...rest);
    } catch (error) {
      if (!isMissing(error) || existing === path.dirname(existing)) return null;
      rest.unshift(path.basename(existing));
    }
  }
}

const isMissing = (error: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');
