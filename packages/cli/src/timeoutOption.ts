import { turnTimeoutMs } from '@mission/contracts/vocabulary';
import type { OptionValue } from './command.ts';
import { UsageError } from './errors.ts';

const { min, max } = turnTimeoutMs;
export const TIMEOUT_HELP = `  --timeout MS   How long to wait for Claude's turn to end (${min} to ${max}; default ${turnTimeoutMs.default / 60_000} minutes): 504 after it.`;

/** `--timeout MS` of the commands that wait for a turn: milliseconds, or undefined for the API's default. */
export function parseTimeout(value: OptionValue, command: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < min || ms > max)
    throw new UsageError(`--timeout must be milliseconds from ${min} to ${max}, not '${String(value)}'`, command);
  return ms;
}
