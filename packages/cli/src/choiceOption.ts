import { UsageError } from './errors.ts';

/** `--<option> VALUE` of `command`, which must be one of `choices`: a usage error naming them otherwise. */
export function parseChoice<T extends string>(option: string, value: string, choices: readonly T[], command: string): T {
  if (!(choices as readonly string[]).includes(value))
    throw new UsageError(`--${option} must be one of ${choices.join(', ')}, not '${value}'`, command);
  return value as T;
}
