/** First allocation of a ring: an idle session's output (its first screens) fits. */
const INITIAL_BYTES = 16 * 1024;

/**
 * The last `capacity` bytes written to it; older bytes are dropped. Memory is taken as output comes:
 * the buffer starts small and doubles (up to `capacity`) only when what is kept outgrows it.
 */
export class RingBuffer {
  private buffer: Buffer;
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.buffer = Buffer.alloc(Math.min(capacity, INITIAL_BYTES));
  }

  write(data: Buffer): void {
    if (data.length >= this.capacity) {
      this.grow(this.capacity);
      data.copy(this.buffer, 0, data.length - this.capacity);
      this.start = 0;
      this.length = this.capacity;
      return;
    }
    this.grow(Math.min(this.capacity, this.length + data.length));
    const size = this.buffer.length;
    const end = (this.start + this.length) % size;
    const first = Math.min(data.length, size - end);
    data.copy(this.buffer, end, 0, first);
    data.copy(this.buffer, 0, first);
    const overflow = Math.max(0, this.length + data.length - size);
    this.start = (this.start + overflow) % size;
    this.length = Math.min(size, this.length + data.length);
  }

  /** The buffered bytes, oldest first. */
  contents(): Buffer {
    const size = this.buffer.length;
    const end = this.start + this.length;
    if (end <= size) return Buffer.from(this.buffer.subarray(this.start, end));
    return Buffer.concat([this.buffer.subarray(this.start), this.buffer.subarray(0, end - size)]);
  }

  get size(): number {
    return this.length;
  }

  /** Bytes of memory the ring holds now. */
  get allocated(): number {
    return this.buffer.length;
  }

  /** Makes room for `needed` bytes (at most the capacity), doubling; the kept bytes move to the start. */
  private grow(needed: number): void {
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length;
    while (size < needed) size *= 2;
    const next = Buffer.alloc(Math.min(this.capacity, size));
    this.contents().copy(next, 0);
    this.buffer = next;
    this.start = 0;
  }
}
