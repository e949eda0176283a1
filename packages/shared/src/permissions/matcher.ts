import path from 'node:path';
import { parseRule, type RoleRules, type Rule } from './rules.ts';

/** A tool Claude wants to use, as the CLI names it, with its input (`{ command }`, `{ file_path }`, `{ url }` …). */
export interface ToolUse {
  tool: string;
  input: Record<string, unknown>;
}

/** Where the agent runs: relative paths in inputs and in rules are read against `cwd`. */
export interface MatchContext {
  cwd: string;
  home: string;
}

export type Verdict = 'allow' | 'confirm' | 'deny';

export interface PolicyDecision {
  verdict: Verdict;
  /** The rule that decided, or null when none matched (which means `confirm`). */
  rule: string | null;
}

/** `Edit(…)` rules cover every tool that changes files; `Read(…)` rules every tool that reads them (as in Claude Code). */
const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const READ_TOOLS = new Set(['Read', 'Grep', 'Glob', 'LS', 'NotebookRead']);
const SEVERITY: Record<Verdict, number> = { allow: 0, confirm: 1, deny: 2 };

/**
 * Decides a tool use by a role's rules: deny beats confirm beats allow; no match → confirm. A shell
 * command chained with `&&`, `||`, `;` or `|` is decided part by part and takes the strictest answer,
 * so `echo ok && rm -rf x` is not allowed by `Bash(echo:*)`.
 */
export function decide(rules: RoleRules, use: ToolUse, context: MatchContext): PolicyDecision {
  const lists = {
    deny: compile(rules.deny),
    confirm: compile(rules.confirm),
    allow: compile(rules.allow),
  };
  const command = use.tool === 'Bash' ? stringField(use.input, 'command') : undefined;
  const parts = command === undefined ? [use] : splitCommand(command).map((part) => ({ tool: 'Bash', input: { command: part } }));
  let strictest: PolicyDecision | null = null;
  for (const part of parts.length > 0 ? parts : [use]) {
    const decision = decideOne(lists, part, context);
    if (!strictest || SEVERITY[decision.verdict] > SEVERITY[strictest.verdict]) strictest = decision;
  }
  return strictest!;
}

function decideOne(lists: Record<Verdict, Rule[]>, use: ToolUse, context: MatchContext): PolicyDecision {
  for (const verdict of ['deny', 'confirm', 'allow'] as const) {
    const rule = lists[verdict].find((candidate) => matches(candidate, use, context));
    if (rule) return { verdict, rule: rule.text };
  }
  return { verdict: 'confirm', rule: null };
}

function compile(texts: string[]): Rule[] {
  return texts.map(parseRule).filter((rule): rule is Rule => !('problem' in rule));
}

/** Whether one rule covers a tool use. */
export function matches(rule: Rule, use: ToolUse, context: MatchContext): boolean {
  if (!toolMatches(rule.tool, use.tool)) return false;
  if (rule.specifier === null) return true;
  if (use.tool === 'Bash') return commandMatches(rule.specifier, stringField(use.input, 'command') ?? '');
  if (EDIT_TOOLS.has(use.tool) || READ_TOOLS.has(use.tool)) {
    const file = stringField(use.input, 'file_path') ?? stringField(use.input, 'notebook_path') ?? stringField(use.input, 'path');
    return file !== undefined && pathMatches(rule.specifier, file, context);
  }
  if (rule.specifier.startsWith('domain:')) return domainMatches(rule.specifier.slice('domain:'.length), stringField(use.input, 'url') ?? '');
  const subject = stringField(use.input, 'url') ?? stringField(use.input, 'query') ?? stringField(use.input, 'pattern') ?? '';
  return globToRegExp(rule.specifier, false).test(subject);
}

function toolMatches(ruleTool: string, tool: string): boolean {
  if (ruleTool === tool) return true;
  if (ruleTool === 'Edit') return EDIT_TOOLS.has(tool);
  if (ruleTool === 'Read') return READ_TOOLS.has(tool);
  if (ruleTool.startsWith('mcp__')) {
    const server = ruleTool.endsWith('__*') ? ruleTool.slice(0, -3) : ruleTool;
    return server.split('__').length === 2 && tool.startsWith(`${server}__`);
  }
  return false;
}

/** `npm test:*` is a prefix (the command or the command followed by more words); otherwise `*` is a wildcard. */
function commandMatches(specifier: string, command: string): boolean {
  const cmd = command.trim();
  if (specifier.endsWith(':*')) {
    const prefix = specifier.slice(0, -2).trim();
    return cmd === prefix || cmd.startsWith(`${prefix} `);
  }
  return globToRegExp(specifier, false).test(cmd);
}

/**
 * Gitignore-style path patterns: `//abs/**` from the filesystem root, `~/x` from home, `/x` and `x/y`
 * from the working folder, a pattern without `/` (`*.env`) matches the file name at any depth. A
 * pattern naming a folder covers what is inside it.
 */
function pathMatches(pattern: string, file: string, context: MatchContext): boolean {
  const absolute = path.resolve(context.cwd, file.startsWith('~/') ? path.join(context.home, file.slice(2)) : file);
  if (!pattern.includes('/')) return globToRegExp(pattern, true).test(path.basename(absolute));
  let base: string;
  let rest: string;
  if (pattern.startsWith('//')) [base, rest] = ['/', pattern.slice(2)];
  else if (pattern.startsWith('~/')) [base, rest] = [context.home, pattern.slice(2)];
  else [base, rest] = [context.cwd, pattern.replace(/^\.?\//, '')];
  const relative = path.relative(base, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
  const glob = globToRegExp(rest.replace(/\/$/, ''), true);
  return glob.test(relative) || (!/[*?]/.test(rest) && relative.startsWith(`${rest.replace(/\/$/, '')}/`));
}

function domainMatches(domain: string, url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  const wanted = domain.toLowerCase();
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1));
  return host === wanted || host.endsWith(`.${wanted}`);
}

/** `**` spans folders, `*` and `?` stay within one when `paths`; without `paths`, `*` matches anything. */
function globToRegExp(glob: string, paths: boolean): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (paths && glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (paths && glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += paths ? '[^/]*' : '.*';
    else if (char === '?') source += paths ? '[^/]' : '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** Splits a shell command at `&&`, `||`, `;`, `|`, `&` and newlines outside quotes (not at redirections like `2>&1`). */
export function splitCommand(command: string): string[] {
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

function stringField(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  return typeof value === 'string' ? value : undefined;
}
