/** The last `capacity` bytes written to it; older bytes are dropped. */
export class RingBuffer {
  private readonly buffer: Buffer;
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.buffer = Buffer.alloc(capacity);
  }

  write(data: Buffer): void {
    if (data.length >= this.capacity) {
      data.copy(this.buffer, 0, data.length - this.capacity);
      this.start = 0;
      this.length = this.capacity;
      return;
    }
    const end = (this.start + this.length) % this.capacity;
    const first = Math.min(data.length, this.capacity - end);
    data.copy(this.buffer, end, 0, first);
    data.copy(this.buffer, 0, first);
    const overflow = Math.max(0, this.length + data.length - this.capacity);
    this.start = (this.start + overflow) % this.capacity;
    this.length = Math.min(this.capacity, this.length + data.length);
  }

  /** The buffered bytes, oldest first. */
  contents(): Buffer {
    const end = this.start + this.length;
    if (end <= this.capacity) return Buffer.from(this.buffer.subarray(this.start, end));
    return Buffer.concat([this.buffer.subarray(this.start), this.buffer.subarray(0, end - this.capacity)]);
  }

  get size(): number {
    return this.length;
  }
}
