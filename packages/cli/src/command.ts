import type { ParseArgsConfig } from 'node:util';
import type { ClientEnv } from './env.ts';
import type { ApiClient } from './http.ts';
import type { Printer } from './printer.ts';

/** What a command runs with. */
export interface CommandContext {
  printer: Printer;
  /** The API at MISSION_URL with MISSION_TOKEN. */
  api: ApiClient;
  clientEnv: ClientEnv;
  /** The whole environment, for the commands that run Mission itself (up, token, doctor) and read its config. */
  processEnv: NodeJS.ProcessEnv;
}

/** A command's arguments as parsed: the positionals by name, and the option values. */
export interface CommandInput {
  args: Record<string, string>;
  options: Record<string, OptionValue>;
}

/** An option's value: a string, a flag, or the strings of an option given several times (`multiple: true`). */
export type OptionValue = string | boolean | string[] | undefined;

export interface Command {
  name: string;
  /** e.g. `<slot> "<prompt>" [--priority N] [--wait] [--follow]` */
  usage: string;
  summary: string;
  /** More lines for `mission help <command>`. */
  details?: string;
  /** Positional arguments, required ones first; `?` at the end marks an optional one. */
  arguments: string[];
  options?: NonNullable<ParseArgsConfig['options']>;
  /** false: the command has no machine-readable output (attach, up), so no --json. */
  json?: false;
  /** The exit code: 0 done, 1 the task or command failed. */
  run(context: CommandContext, input: CommandInput): Promise<number>;
}
