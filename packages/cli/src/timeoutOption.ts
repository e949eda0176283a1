import type { OptionValue } from './command.ts';
import { UsageError } from './errors.ts';

export const TIMEOUT_HELP = `  --timeout MS   How long to wait for Claude's turn to end (1000 to 3600000; default 5 minutes): 504 after it.`;

/** `--timeout MS` of the commands that wait for a turn: milliseconds, or undefined for the API's default. */
export function parseTimeout(value: OptionValue, command: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1_000 || ms > 3_600_000)
    throw new UsageError(`--timeout must be milliseconds from 1000 to 3600000, not '${String(value)}'`, command);
  return ms;
}
