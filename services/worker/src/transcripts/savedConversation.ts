import readline from 'node:readline';
import { NotOwnedError, openFileOf } from '../ownedFiles.ts';
import { ifMissing } from './missingFile.ts';
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
 * Whether a transcript records a message (a prompt, a reply, a tool result), not only the CLI's bookkeeping. One that
 * is not `owner`'s own file (see {@link openFileOf}) holds none: the worker does not read it for its agent.
 */
async function holdsMessage(file: string, owner: number | null): Promise<boolean> {
  const handle = await openFileOf(file, owner).catch((error: unknown) => (error instanceof NotOwnedError ? null : ifMissing(null)(error)));
  if (!handle) return false;
  const lines = readline.createInterface({ input: handle.createReadStream(), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (isMessage(line)) return true;
    return false;
  } catch (error) {
    return ifMissing(false)(error);
  } finally {
    lines.close();
    await handle.close();
  }
}

function isMessage(line: string): boolean {
  // Most records are not messages, and some are large (the API request's blobs): only the likely ones are parsed.
  if (!line.includes('"type":"user"') && !line.includes('"type":"assistant"')) return false;
  try {
    const record: unknown = JSON.parse(line);
    const type = (record as { type?: unknown } | null)?.type;
    return type === 'user' || type === 'assistant';
  } catch {
    return false; // a torn last line: written when the CLI was killed
  }
}
