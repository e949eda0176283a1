import fs from 'node:fs/promises';
import path from 'node:path';
import { ifMissing } from './missingFile.ts';

/**
 * The size of each transcript of a Claude Code session (`<projects>/<project>/<session id>.jsonl`), by path. Taken
 * before the CLI resumes the session: what they hold then is its history, reported when it was written, so the
 * resumed session reads its transcript from there on (a folder or file that is not there has nothing to skip).
 */
export async function transcriptSizes(projectsDir: string, claudeSessionId: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const project of await entriesOf(projectsDir)) {
    const file = path.join(projectsDir, project, `${claudeSessionId}.jsonl`);
    const stat = await fs.stat(file).catch(ifMissing(undefined));
    if (stat?.isFile()) sizes.set(file, stat.size);
  }
  return sizes;
}

function entriesOf(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(ifMissing([]));
}
