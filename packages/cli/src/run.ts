import { parseArgs } from 'node:util';
import type { Command, CommandInput } from './command.ts';
import { commands } from './commands/index.ts';
import { loadClientEnv } from './env.ts';
import { UsageError } from './errors.ts';
import { commandHelp, overviewHelp } from './help.ts';
import { idArgumentProblem } from './idArguments.ts';
import { ApiClient } from './http.ts';
import { Printer } from './printer.ts';
import { cliVersion } from './version.ts';

/** Runs `mission <argv…>` and gives the exit code: 0 done, 1 failed, 2 a usage error. Errors are one line on stderr. */
export async function runCli(argv: string[], processEnv: NodeJS.ProcessEnv): Promise<number> {
  const { stdout, stderr } = process;
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      const topic = name === 'help' ? rest[0] : undefined;
      stdout.write(topic ? commandHelp(findCommand(topic)) : overviewHelp(commands));
      return 0;
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      stdout.write(`${cliVersion}\n`);
      return 0;
    }
    const command = findCommand(name);
    const input = parseInput(command, rest);
    if (input === 'help') {
      stdout.write(commandHelp(command));
      return 0;
    }
    const clientEnv = loadClientEnv(processEnv);
    const printer = new Printer(input.options.json === true, stdout, stderr, clientEnv.noColor);
    return await command.run({ printer, api: new ApiClient(clientEnv.url, clientEnv.token), clientEnv, processEnv }, input);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`mission: ${error.message}\nRun \`mission help${error.command ? ` ${error.command}` : ''}\` for usage.\n`);
      return 2;
    }
    stderr.write(`mission: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function findCommand(name: string): Command {
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command '${name}'`);
  return command;
}

/** The command's positionals by name and its options; 'help' for --help. Anything that does not fit is a UsageError. */
function parseInput(command: Command, argv: string[]): CommandInput | 'help' {
  if (command.json === false && argv.includes('--json')) throw new UsageError(`${command.name} has no --json output`, command.name);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...command.options,
        help: { type: 'boolean', short: 'h' },
        ...(command.json === false ? {} : { json: { type: 'boolean' } }),
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command.name);
  }
  if (parsed.values.help) return 'help';
  const names = command.arguments.map((argument) => argument.replace(/\?$/, ''));
  const required = command.arguments.filter((argument) => !argument.endsWith('?')).length;
  const missing = names.slice(0, required).filter((_, index) => !parsed.positionals[index]?.trim());
  if (missing.length > 0) {
    // What was given, and taken for which argument: a prompt given alone was read as the slot.
    const taken = names.flatMap((argument, index) =>
      parsed.positionals[index]?.trim() ? [`'${parsed.positionals[index]}' as <${argument}>`] : [],
    );
    throw new UsageError(
      `${command.name} needs ${missing.map((argument) => `<${argument}>`).join(' ')}${taken.length > 0 ? ` (got ${taken.join(', ')})` : ''}`,
      command.name,
    );
  }
  if (parsed.positionals.length > names.length) {
    throw new UsageError(
      `${command.name} takes ${names.length === 0 ? 'no arguments' : names.map((argument) => `<${argument}>`).join(' ')}; got '${parsed.positionals.slice(names.length).join(' ')}' too (quote a prompt with spaces)`,
      command.name,
    );
  }
  for (const [index, value] of parsed.positionals.entries()) {
    const problem = idArgumentProblem(command.name, names[index]!, value);
    if (problem) throw new UsageError(problem, command.name);
  }
  return {
    args: Object.fromEntries(parsed.positionals.map((value, index) => [names[index]!, value])),
    options: parsed.values as CommandInput['options'],
  };
}
