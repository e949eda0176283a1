import fs from 'node:fs';
import { assertOwnedFile, linkRefused, ownedReadFlags } from '../ownedFiles.ts';

/**
 * Reads a growing JSONL file incrementally: each `read` returns the complete lines written since the
 * last one, parsed (a line that is not a JSON object is skipped), whatever their length. A torn last
 * line is kept until the rest of it is written.
 */
export class JsonlTail {
  private partial = '';
  private watcher: fs.FSWatcher | null = null;

  /**
   * `offset`: where reading starts (the end of what was read before, e.g. by the CLI's earlier run). `owner`: the
   * user the file must belong to, not reached through a link (an agent's, read by a worker running as root).
   */
  constructor(
    readonly file: string,
    private offset = 0,
    private readonly owner: number | null = null,
  ) {}

  /** Calls `changed` each time the file is written to, from the first call at which it exists. */
  watch(changed: () => void): void {
    if (this.watcher) return;
    try {
      this.watcher = fs.watch(this.file, { persistent: false }, () => changed());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  read(): Record<string, unknown>[] {
    // Most reads find nothing new (the hooks driver reads at each screen read): a file no longer than what was read
    // is not opened. A link or another kind of file goes on to the open, which refuses it.
    const seen = fs.lstatSync(this.file, { throwIfNoEntry: false });
    if (!seen || (seen.isFile() && seen.size <= this.offset)) return [];
    let fd: number;
    try {
      fd = fs.openSync(this.file, ownedReadFlags(this.owner));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw linkRefused(this.file, error as NodeJS.ErrnoException);
    }
    const chunks: Buffer[] = [];
    try {
      if (this.owner !== null) assertOwnedFile(this.file, fs.fstatSync(fd), this.owner);
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const read = fs.readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read === 0) break;
        chunks.push(Buffer.from(buffer.subarray(0, read)));
        this.offset += read;
      }
    } finally {
      fs.closeSync(fd);
    }
    const text = this.partial + Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.flatMap((line) => {
      if (!line.trim()) return [];
      try {
        const value: unknown = JSON.parse(line);
        return value && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }
}
