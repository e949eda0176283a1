import fs from 'node:fs';

/** fs.write's shape: write `buffer` from `offset` to `fd`, then call back with an error or the bytes written. */
export type WriteToFd = (
  fd: number,
  buffer: Buffer,
  offset: number,
  callback: (error: NodeJS.ErrnoException | null, written: number) => void,
) => void;

const writeToFd: WriteToFd = (fd, buffer, offset, callback) => fs.write(fd, buffer, offset, callback);

/**
 * Writes to a terminal's master in order, without blocking: the fd is non-blocking, so a full terminal
 * answers EAGAIN and the rest is written on a later turn of the loop (node-pty's own writer does the same).
 * A write runs on libuv's thread pool; the fd may be closed only once none is in flight (`stop`), or the
 * write could land in whatever file the kernel gave that number to next.
 */
export class FdWriter {
  private readonly queue: { buffer: Buffer; offset: number }[] = [];
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly fd: number,
    private readonly writeChunk: WriteToFd = writeToFd,
  ) {}

  write(data: string): void {
    const buffer = Buffer.from(data, 'utf8');
    if (buffer.byteLength === 0 || this.stopped) return;
    this.queue.push({ buffer, offset: 0 });
    if (this.queue.length === 1 && !this.inFlight) this.next();
  }

  /** Nothing more is written (what is queued is dropped); resolves once no write is in flight, when the fd may be closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await this.inFlight;
  }

  private next(): void {
    const task = this.queue[0];
    if (!task || this.stopped) return;
    this.inFlight = new Promise((settled) =>
      this.writeChunk(this.fd, task.buffer, task.offset, (error, written) => {
        this.inFlight = null;
        settled();
        this.written(task, error, written);
      }),
    );
  }

  private written(task: { buffer: Buffer; offset: number }, error: NodeJS.ErrnoException | null, written: number): void {
    if (error?.code === 'EAGAIN') {
      setImmediate(() => this.next());
      return;
    }
    if (error) {
      this.queue.length = 0;
      // EIO: no program has the terminal any more (it is exiting, its exit says so); anything else is told.
      if (error.code !== 'EIO') process.emitWarning(error);
      return;
    }
    task.offset += written;
    if (task.offset >= task.buffer.byteLength) this.queue.shift();
    this.next();
  }
}
