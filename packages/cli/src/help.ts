import type { Command } from './command.ts';

const CLIENT_NOTE = `The commands that talk to the API use MISSION_URL (default http://127.0.0.1:7070) and MISSION_TOKEN.
Exit codes: 0 done; 1 the task or command failed; 2 a usage error.`;

export function commandLine(command: Command): string {
  const json = command.json === false ? '' : ' [--json]';
  return `mission ${command.name}${command.usage ? ` ${command.usage}` : ''}${json}`;
}

/** `mission help`: every command with its one-line summary. */
export function overviewHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `mission: run, watch and steer Claude Code agents

Usage: mission <command> [arguments] [--json]

${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

\`mission help <command>\` (or \`mission <command> --help\`) tells more. --json prints machine-readable
output only on stdout; progress goes to stderr, and only when it is a terminal.
${CLIENT_NOTE}
`;
}

/** `mission help <command>`. */
export function commandHelp(command: Command): string {
  return `Usage: ${commandLine(command)}

${command.summary}.
${command.details ? `\n${command.details}\n` : ''}`;
}
