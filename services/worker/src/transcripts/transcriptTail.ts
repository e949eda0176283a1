import fs from 'node:fs';
import { NotOwnedError } from '../ownedFiles.ts';

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
    let fd: number;
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
    try {
      fd = fs.openSync(this.file, this.owner === null ? O_RDONLY : O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [];
      if (code === 'ELOOP') throw new NotOwnedError(`${this.file} is a link: the worker does not follow it in an agent's folder`);
      throw error;
    }
    const chunks: Buffer[] = [];
    try {
      const stat = this.owner === null ? null : fs.fstatSync(fd);
      if (stat && (!stat.isFile() || stat.uid !== this.owner))
        throw new NotOwnedError(
          `${this.file} is not a file of the agent's (uid ${stat.uid}, not ${this.owner}): the worker does not read it`,
        );
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
