import readline from 'node:readline';
import type { ClaudeHomePaths } from '../claudeHome.ts';
import { guardedOwner, NotOwnedError, openFileOf } from '../ownedFiles.ts';
import { type CliSpend, spendOfUsage } from '../hooks/cliSpend.ts';
import { ifMissing } from './missingFile.ts';
import { transcriptUpdates } from './transcriptContent.ts';
import { transcriptSizes } from './transcriptSizes.ts';

/**
 * What `claude --resume <claudeSessionId>` would find: the sizes of the session's transcripts (by path) when one of
 * them holds its conversation, null when none does. Claude Code saves a conversation once a prompt is submitted, then
 * in batches (every 100 ms): a CLI killed before its first save left no transcript, or one with no message yet, and
 * `--resume` of it exits ("No conversation found").
 */
export async function savedConversation(
  projectsDir: string,
  claudeSessionId: string,
  owner: number | null = null,
): Promise<Map<string, number> | null> {
  const sizes = await transcriptSizes(projectsDir, claudeSessionId);
  for (const file of sizes.keys()) if (await holdsMessage(file, owner)) return sizes;
  return null;
}

/**
 * What a Claude Code session cost, as its CLI last wrote it: the last `cost-state` record of its transcripts, written as
 * a claude of it exits. `claude --resume <claudeSessionId>` counts on from it (a headless run's result, the session's
 * next `cost-state`). Null when none has one. Recorded from CLI 2.1.332: a `-p --resume` run's `total_cost_usd` and
 * `modelUsage` are the session's, its earlier runs' with its own.
 */
export async function savedCost(home: Pick<ClaudeHomePaths, 'projects' | 'root'>, claudeSessionId: string): Promise<CliSpend | null> {
  const owner = await guardedOwner(home.root).catch(ifMissing(null));
  let last: CliSpend | null = null;
  for (const file of (await transcriptSizes(home.projects, claudeSessionId)).keys())
    await readLinesUntil(file, owner, (line) => {
      if (line.includes('"cost-state"')) last = costStateOf(line) ?? last;
      return false; // every line: the last record counts
    });
  return last;
}

/** Whether a transcript records a message (a prompt, a reply, a tool result), not only the CLI's bookkeeping. */
function holdsMessage(file: string, owner: number | null): Promise<boolean> {
  return readLinesUntil(file, owner, isMessage);
}

/**
 * Reads a transcript's lines until `stop` says so: true if one did. One that is not `owner`'s own file (see
 * {@link openFileOf}) is not read: the worker does not read it for its agent.
 */
async function readLinesUntil(file: string, owner: number | null, stop: (line: string) => boolean): Promise<boolean> {
  const handle = await openFileOf(file, owner).catch((error: unknown) => (error instanceof NotOwnedError ? null : ifMissing(null)(error)));
  if (!handle) return false;
  const lines = readline.createInterface({ input: handle.createReadStream(), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (stop(line)) return true;
    return false;
  } catch (error) {
    return ifMissing(false)(error);
  } finally {
    lines.close();
    await handle.close();
  }
}

function costStateOf(line: string): CliSpend | null {
  const record = parsed(line);
  const cost = record ? transcriptUpdates(record).find((update) => update.kind === 'cost') : undefined;
  return cost?.kind === 'cost' ? spendOfUsage(cost) : null;
}

function isMessage(line: string): boolean {
  // Most records are not messages, and some are large (the API request's blobs): only the likely ones are parsed.
  if (!line.includes('"type":"user"') && !line.includes('"type":"assistant"')) return false;
  const type = parsed(line)?.type;
  return type === 'user' || type === 'assistant';
}

function parsed(line: string): Record<string, unknown> | null {
  try {
    const record: unknown = JSON.parse(line);
    return record && typeof record === 'object' ? (record as Record<string, unknown>) : null;
  } catch {
    return null; // a torn last line: written when the CLI was killed
  }
}
