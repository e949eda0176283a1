import fs from 'node:fs/promises';
import path from 'node:path';
import { fileFieldOf, type MatchContext, resolvePath, type ToolUse } from '@mission/contracts';

/**
 * A file tool's use as it would act on the disk, where the path it names runs through a link (one the agent made with
 * a program the guard does not follow, or one a repository holds): the path with its links followed — the deepest
 * part of it that exists, resolved, and the rest as named. Null when that is the path as named (or it names none).
 * The guard decides both: the rules keep a file under its own name whatever name a link gives it.
 */
export async function throughLinks(use: ToolUse, context: MatchContext): Promise<{ use: ToolUse; file: string } | null> {
  const field = fileFieldOf(use);
  if (!field) return null;
  const named = resolvePath(String(use.input[field]), context);
  const file = await realPathOf(named);
  return file === null || file === named ? null : { use: { ...use, input: { ...use.input, [field]: file } }, file };
}

/**
 * `file` with every link in the part of it that exists followed; null when that part cannot be resolved (a loop of
 * links, a folder it may not search): the tool then fails on that path too, reaching nothing.
 */
async function realPathOf(file: string): Promise<string | null> {
  const rest: string[] = [];
  for (let existing = file; ; existing = path.dirname(existing)) {
    try {
      return path.join(await fs.realpath(existing), ...rest);
    } catch (error) {
      if (!isMissing(error) || existing === path.dirname(existing)) return null;
      rest.unshift(path.basename(existing));
    }
  }
}

const isMissing = (error: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');
