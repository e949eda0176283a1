const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;

export type Style = keyof typeof STYLES;
/** Wraps text in an ANSI style, or leaves it as it is when colors are off. */
export type Paint = (style: Style, text: string) => string;

export function painter(enabled: boolean): Paint {
  return enabled ? (style, text) => `\x1b[${STYLES[style][0]}m${text}\x1b[${STYLES[style][1]}m` : (_style, text) => text;
}

/**
 * Where a command's output goes: with --json, JSON only on stdout; otherwise text for people, colored
 * when stdout is a terminal and NO_COLOR is not set. Notes (hints, progress) go to stderr.
 */
export class Printer {
  readonly paint: Paint;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream,
    readonly stderr: NodeJS.WriteStream,
    noColor: boolean,
  ) {
    this.paint = painter(!json && Boolean(stdout.isTTY) && !noColor);
  }

  /** A command's result: pretty JSON with --json, else the text (built only when needed). */
  result(value: unknown, text: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
  }

  /** One item of a stream: a JSON line with --json, else the text. */
  item(value: unknown, text: () => string): void {
    this.stdout.write(this.json ? `${JSON.stringify(value)}\n` : `${text()}\n`);
  }

  /** A note for the person at the terminal, on stderr (not part of the result). */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}
