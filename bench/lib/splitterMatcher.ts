import { parseRule, type RoleRules, type Rule } from '@mission/contracts';

/**
 * The Bash matcher Mission had before the shell analysis (issue 14): the command split on
 * `&& || ; | &` and newlines outside quotes, each part matched as text. Kept here, frozen, only as
 * the baseline the permissions benchmark compares decide() with; it is unsafe and used nowhere else.
 */
export function splitterDecide(rules: RoleRules, command: string): 'allow' | 'confirm' | 'deny' {
  const lists = { deny: compile(rules.deny), confirm: compile(rules.confirm), allow: compile(rules.allow) };
  const severity = { allow: 0, confirm: 1, deny: 2 } as const;
  let strictest: 'allow' | 'confirm' | 'deny' = 'allow';
  const parts = splitCommand(command);
  for (const part of parts.length > 0 ? parts : [command]) {
    const verdict =
      (['deny', 'confirm', 'allow'] as const).find((name) =>
        lists[name].some((rule) => rule.tool === 'Bash' && (rule.specifier === null || commandMatches(rule.specifier, part))),
      ) ?? 'confirm';
    if (severity[verdict] > severity[strictest]) strictest = verdict;
  }
  return strictest;
}

function compile(texts: string[]): Rule[] {
  return texts.map(parseRule).filter((rule): rule is Rule => !('problem' in rule));
}

function commandMatches(specifier: string, command: string): boolean {
  const cmd = command.trim();
  if (specifier.endsWith(':*')) {
    const prefix = specifier.slice(0, -2).trim();
    return cmd === prefix || cmd.startsWith(`${prefix} `);
  }
  const source = specifier
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, 's').test(cmd);
}

function splitCommand(command: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  const cut = () => {
    parts.push(current);
    current = '';
  };
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!;
    const next = command[i + 1];
    if (quote) {
      current += char;
      if (char === '\\' && quote === '"' && next !== undefined) current += command[++i];
      else if (char === quote) quote = null;
    } else if (char === '\\') {
      current += char + (next ?? '');
      i++;
    } else if (char === '"' || char === "'") {
      quote = char;
      current += char;
    } else if (char === ';' || char === '\n') {
      cut();
    } else if (char === '|' || (char === '&' && !/[<>]/.test(command[i - 1] ?? '') && next !== '>')) {
      if (next === char) i++;
      cut();
    } else {
      current += char;
    }
  }
  cut();
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}
