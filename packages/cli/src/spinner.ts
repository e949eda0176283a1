const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

/** "7s", "2m05s", "1h02m". */
function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** A one-line progress spinner with the elapsed time, on stderr and only when stderr is a terminal. */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private label: string,
  ) {
    this.resume();
  }

  update(label: string): void {
    this.label = label;
  }

  /** A line that stays: written above the spinner (on any stderr, a terminal or not). */
  say(line: string): void {
    this.stream.write(`${this.timer ? '\r\x1b[2K' : ''}${line}\n`);
    if (this.timer) this.render();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write('\r\x1b[2K');
  }

  /** Off the line while something else has it (a question put to the person), then on again; the time runs on. */
  pause(): void {
    this.stop();
  }

  /** On the line (again), only on a terminal. */
  resume(): void {
    if (this.timer || !this.stream.isTTY) return;
    this.timer = setInterval(() => this.render(), FRAME_MS);
    this.render();
  }

  private render(): void {
    const frame = FRAMES[this.frame++ % FRAMES.length];
    this.stream.write(`\r\x1b[2K${frame} ${this.label} ${formatElapsed(Date.now() - this.startedAt)}`);
  }
}
