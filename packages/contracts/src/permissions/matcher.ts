import { bashPattern } from './bashRules.ts';
import { configChange, configReason } from './configFiles.ts';
import { globsIntersect, globToRegExp, type MatchContext, pathMatches, resolvePath, ruleGlobs } from './pathRules.ts';
import { parseRule, type RoleRules, type Rule } from './rules.ts';
import { analyzeShell, type FileAccess, type ShellAnalysis, type ShellCommand } from './shellAnalysis.ts';
import { literalArg } from './shellWord.ts';

export type { MatchContext } from './pathRules.ts';
/** What text sent to an interactive session would run in the CLI's `!` bash mode (to be decided as a Bash use). */
export { bashModeCommand, followKeystrokes, mayStartBashMode } from './bashMode.ts';
export { SHELL_LIMITS } from './shellAnalysis.ts';

/** A tool Claude wants to use, as the CLI names it, with its input (`{ command }`, `{ file_path }`, `{ url }` …). */
export interface ToolUse {
  tool: string;
  input: Record<string, unknown>;
}

export type Verdict = 'allow' | 'confirm' | 'deny';

export interface PolicyDecision {
  verdict: Verdict;
  /** The rule that decided, or null when none did (which means `confirm`). */
  rule: string | null;
  /** Why a person must confirm when no rule says so (a part of the command the analysis cannot vouch for). */
  reason?: string;
}

/** `Edit(…)` rules cover every tool that changes files; `Read(…)` rules every tool that reads them (as in Claude Code). */
const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
const READ_TOOLS = new Set(['Read', 'Grep', 'Glob', 'LS', 'NotebookRead']);

type RuleLists = Record<Verdict, Rule[]>;

/**
 * Decides a tool use by a role's rules: deny beats confirm beats allow; no match → confirm. A Bash
 * command is read by the shell analysis (shellAnalysis.ts) and decided part by part: every simple
 * command that would run — in pipelines and lists, in `$(…)`, backticks and `<(…)`, in `bash -c`,
 * `eval`, `xargs`, `find -exec` and wrappers — must be allowed, deny wins anywhere, redirections
 * are writes that Edit rules decide, files named to well-known readers and writers meet the Read and
 * Edit deny and ask rules, and whatever the analysis cannot vouch for is confirm, never allow.
 * Synchronous and pure; the parser needs no initialisation.
 */
export function decide(rules: RoleRules, use: ToolUse, context: MatchContext): PolicyDecision {
  const lists: RuleLists = { deny: compile(rules.deny), confirm: compile(rules.confirm), allow: compile(rules.allow) };
  if (use.tool === 'Bash') return decideBash(lists, use, context);
  const named = decideTool(lists, use, context);
  // A file named through a link is decided under the name the disk gives it too: the stricter verdict stands.
  const field = fileFieldOf(use);
  const file = field && stringField(use.input, field);
  if (!field || file === undefined || !context.realPath) return named;
  const absolute = resolvePath(file, context);
  const real = context.realPath(absolute);
  if (real === null || real === absolute) return named;
  const linked = decideTool(lists, { ...use, input: { ...use.input, [field]: real } }, context);
  if (STRICTNESS[linked.verdict] <= STRICTNESS[named.verdict]) return named;
  return { ...linked, reason: `it goes through a link to ${real}${linked.reason ? `: ${linked.reason}` : ''}` };
}

const STRICTNESS = { allow: 0, confirm: 1, deny: 2 } as const;

/** decide() for a tool other than Bash, on the file as named. */
function decideTool(lists: RuleLists, use: ToolUse, context: MatchContext): PolicyDecision {
  for (const verdict of ['deny', 'confirm', 'allow'] as const) {
    const rule = lists[verdict].find((candidate) => matches(candidate, use, context));
    if (verdict === 'confirm' && !rule) {
      // Claude Code's and git's own settings: no allow rule allows changing them (a deny rule, above, still denies).
      const file = EDIT_TOOLS.has(use.tool) ? fileOf(use) : undefined;
      if (file !== undefined) {
        const change = configChange({ glob: resolvePath(file, context).replace(/[*?]/g, '?'), below: false }, context);
        if (change) return { verdict: 'confirm', rule: null, reason: configReason(file, change) };
      }
    }
    if (rule) return { verdict, rule: rule.text };
  }
  return { verdict: 'confirm', rule: null };
}

/**
 * Whether a role lets anything at all run as a shell command: all of Bash allowed, and no deny or ask
 * rule of Bash or of a file tool that a command's files could meet. Only such roles may type into
 * Claude Code's `!` bash mode keystroke by keystroke (where the command is not known in advance).
 */
export function allowsAnyCommand(rules: RoleRules): boolean {
  const everything = (rule: Rule) => rule.tool === 'Bash' && (rule.specifier === null || rule.specifier.trim() === '*');
  const guards = (rule: Rule) => rule.tool === 'Bash' || EDIT_TOOLS.has(rule.tool) || READ_TOOLS.has(rule.tool);
  return compile(rules.allow).some(everything) && ![...compile(rules.deny), ...compile(rules.confirm)].some(guards);
}

const compiled = new Map<string, Rule | null>();

/** The valid rules of a list; parsed rules are kept by text (roles hold a bounded set of them). */
function compile(texts: string[]): Rule[] {
  if (compiled.size > 5_000) compiled.clear();
  const rules: Rule[] = [];
  for (const text of texts) {
    let rule = compiled.get(text);
    if (rule === undefined) {
      const parsed = parseRule(text);
      rule = 'problem' in parsed ? null : parsed;
      compiled.set(text, rule);
    }
    if (rule) rules.push(rule);
  }
  return rules;
}

/** Whether one rule covers a use of a tool other than Bash. */
function matches(rule: Rule, use: ToolUse, context: MatchContext): boolean {
  if (!toolMatches(rule.tool, use.tool)) return false;
  if (rule.specifier === null) return true;
  if (EDIT_TOOLS.has(use.tool) || READ_TOOLS.has(use.tool)) {
    const file = fileOf(use);
    return file !== undefined && pathMatches(rule.specifier, file, context);
  }
  if (rule.specifier.startsWith('domain:'))
    return domainMatches(rule.specifier.slice('domain:'.length), stringField(use.input, 'url') ?? '');
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

/** How sure a rule's match is: for certain, or only for some run-time value of the command or path. */
type Match = 'yes' | 'maybe' | 'no';

/** One finding about a part of a Bash command; the strictest decides, the earliest of equal rank is reported. */
interface Finding {
  verdict: Verdict;
  rule: string | null;
  reason?: string;
  /** Among confirms, what is reported first: a confirm rule, then a deny or ask rule that may match, then the rest. */
  rank: number;
}

function decideBash(lists: RuleLists, use: ToolUse, context: MatchContext): PolicyDecision {
  const command = stringField(use.input, 'command');
  const bash = (verdict: Verdict) => lists[verdict].filter((rule) => rule.tool === 'Bash');
  const rules = { deny: bash('deny'), confirm: bash('confirm'), allow: bash('allow') };
  const everything = (rule: Rule) => rule.specifier === null || rule.specifier.trim() === '*';
  const findings: Finding[] = [];
  for (const verdict of ['deny', 'confirm'] as const) {
    const whole = rules[verdict].find(everything);
    if (whole) findings.push({ verdict, rule: whole.text, rank: 0 });
  }
  if (command === undefined) findings.push({ verdict: 'confirm', rule: null, reason: 'the Bash tool use has no command', rank: 2 });
  const analysis = analyzeShell(command ?? '');
  const commandFindings = judgeCommands(rules, analysis);
  findings.push(...commandFindings.findings);
  findings.push(...judgeFiles(lists, analysis, context, rules.allow.some(everything)));
  findings.push(...analysis.unknowns.map((reason) => ({ verdict: 'confirm' as const, rule: null, reason, rank: 2 })));
  const deny = findings.find((finding) => finding.verdict === 'deny');
  if (deny) return { verdict: 'deny', rule: deny.rule };
  const confirms = findings.filter((finding) => finding.verdict === 'confirm').sort((a, b) => a.rank - b.rank);
  if (confirms[0]) return decision(confirms[0]);
  const wholeAllow = rules.allow.find(everything);
  const allow = commandFindings.firstAllow ?? wholeAllow?.text;
  if (allow) return { verdict: 'allow', rule: allow };
  return { verdict: 'confirm', rule: null, reason: 'nothing in the command matches an allow rule' };
}

function decision(finding: Finding): PolicyDecision {
  return { verdict: finding.verdict, rule: finding.rule, ...(finding.reason ? { reason: finding.reason } : {}) };
}

/** Deny and ask rules against every spelling of every command; allow rules against how it was written or its plain text. */
function judgeCommands(rules: Record<Verdict, Rule[]>, analysis: ShellAnalysis): { findings: Finding[]; firstAllow: string | undefined } {
  const { commands } = analysis;
  const findings: Finding[] = [];
  const allowedBy = commands.map((command) => rules.allow.find((rule) => allowMatch(rule, command)));
  const coveredByAncestor = (index: number): boolean => {
    const command = commands[index]!;
    if (!command.coveredByParent || command.parent === null) return false;
    return allowedBy[command.parent] !== undefined || coveredByAncestor(command.parent);
  };
  commands.forEach((command, index) => {
    const where = command.origin ? ` (${command.origin})` : '';
    for (const verdict of ['deny', 'confirm'] as const) {
      for (const rule of rules[verdict]) {
        const match = commandMatch(rule, command);
        if (match === 'yes') findings.push({ verdict, rule: rule.text, rank: 0 });
        else if (match === 'maybe')
          findings.push({
            verdict: 'confirm',
            rule: rule.text,
            reason: `\`${printable(command.text)}\`${where} may match ${rule.text} once its run-time values are known`,
            rank: 1,
          });
      }
    }
    if (allowedBy[index] || !command.needsRule || coveredByAncestor(index)) return;
    const alone = commands.length === 1 && !command.origin;
    findings.push({
      verdict: 'confirm',
      rule: null,
      ...(alone ? {} : { reason: `\`${printable(command.text)}\`${where} matches no allow rule` }),
      rank: 3,
    });
  });
  return { findings, firstAllow: allowedBy.find((rule) => rule !== undefined)?.text };
}

function allowMatch(rule: Rule, command: ShellCommand): boolean {
  const pattern = bashPattern(rule.specifier);
  return pattern.matches(command.written) || pattern.matches(command.text);
}

function commandMatch(rule: Rule, command: ShellCommand): Match {
  const pattern = bashPattern(rule.specifier);
  if (pattern.matches(command.written) || command.spellings.some((spelling) => pattern.matches(spelling.text))) return 'yes';
  // With nothing certain (a command name only known at run time) every rule may match: that is reported as unknown instead.
  const maybe = command.spellings.some(
    (spelling) => spelling.certain !== spelling.text && spelling.certain !== '' && pattern.mayMatchFrom(spelling.certain),
  );
  return maybe ? 'maybe' : 'no';
}

/**
 * Files: deny and ask rules of Read (reads) and Edit (writes) apply to every file the command touches;
 * a redirection or `find -delete` also needs an Edit rule allowing it (or a role allowing all of Bash).
 */
function judgeFiles(lists: RuleLists, analysis: ShellAnalysis, context: MatchContext, allowsAllBash: boolean): Finding[] {
  const findings: Finding[] = [];
  for (const access of analysis.files.flatMap((named) => [named, ...throughLink(named, context, analysis.changesDirectory)])) {
    const tool = access.mode === 'read' ? 'Read' : 'Write';
    const target = fileTarget(access, context, analysis.changesDirectory);
    const where = access.origin ? ` (${access.origin})` : '';
    const applies = (rule: Rule) => toolMatches(rule.tool, tool);
    let decided = false;
    for (const verdict of ['deny', 'confirm'] as const) {
      for (const rule of lists[verdict].filter(applies)) {
        const match = pathMatch(rule, target, context);
        if (match === 'yes') {
          findings.push({ verdict, rule: rule.text, rank: 0 });
          decided = true;
        } else if (match === 'maybe') {
          findings.push({
            verdict: 'confirm',
            rule: rule.text,
            reason: `it may ${access.mode} a file ${rule.text} covers (${printable(access.path.raw)}${where})`,
            rank: 1,
          });
          decided = true;
        }
      }
    }
    // Claude Code's and git's own settings: no allow rule allows writing them (a role that allows every command can write anything).
    const change =
      !decided && access.mode === 'write' && !allowsAllBash
        ? configChange({ ...target, bringsFromOutside: bringsFromOutside(access, context, analysis.changesDirectory) }, context)
        : null;
    if (change) {
      findings.push({ verdict: 'confirm', rule: null, reason: configReason(`${printable(access.path.raw)}${where}`, change), rank: 1 });
      continue;
    }
    if (decided || !access.strict || allowsAllBash) continue;
    const allowed =
      target.exact !== null &&
      !access.below &&
      lists.allow.filter(applies).some((rule) => rule.specifier === null || pathMatches(rule.specifier, target.exact!, context));
    if (!allowed)
      findings.push({
        verdict: 'confirm',
        rule: null,
        reason: `it writes ${printable(access.path.raw)}${where}, which no Edit rule allows`,
        rank: 3,
      });
  }
  return findings;
}

/** A file a command names through a link on the disk, under the name the disk gives it (none when there is no link). */
function throughLink(access: FileAccess, context: MatchContext, changesDirectory: boolean): FileAccess[] {
  const { exact } = fileTarget(access, context, changesDirectory);
  const real = exact === null || !context.realPath ? null : context.realPath(exact);
  return real === null || real === exact
    ? []
    : [{ ...access, path: literalArg(real), origin: `through a link: ${printable(access.path.raw)}` }];
}

/** Some of what a write brings (a copy's, move's or link's sources) is not known to lie in the working folder. */
function bringsFromOutside(access: FileAccess, context: MatchContext, changesDirectory: boolean): boolean {
  const cwd = context.cwd.replace(/\/$/, '');
  return (access.from ?? []).some((source) => {
    const { exact } = fileTarget({ ...access, path: source }, context, changesDirectory);
    return exact === null || (exact !== cwd && !exact.startsWith(`${cwd}/`));
  });
}

interface FileTarget {
  /** The absolute path, when it is known for certain. */
  exact: string | null;
  /** An absolute glob (`*` any text, `/` included) of every path it may be. */
  glob: string;
  below: boolean;
}

/** Where a file argument points: relative paths are read against the working folder (unknown once a `cd` runs). */
function fileTarget(access: FileAccess, context: MatchContext, changesDirectory: boolean): FileTarget {
  const { path: arg, below } = access;
  const relative = (text: string) => (changesDirectory ? `*/${text}` : `${context.cwd.replace(/\/$/, '')}/${text}`);
  if (!arg.varies && (arg.value.startsWith('/') || arg.value === '~' || arg.value.startsWith('~/') || !changesDirectory)) {
    if (/^~[^/]/.test(arg.value)) return { exact: null, glob: '*', below };
    const exact = resolvePath(arg.value, context);
    return { exact, glob: exact.replace(/[*?]/g, '?'), below };
  }
  let glob = arg.glob;
  if (glob === '~' || glob.startsWith('~/')) glob = `${context.home}${glob.slice(1)}`;
  else if (glob.startsWith('~')) glob = '*';
  else if (!glob.startsWith('/') && !glob.startsWith('*')) glob = relative(glob);
  if (/(^|\/)\.\.?(\/|$)/.test(glob)) glob = '*';
  return { exact: null, glob, below };
}

function pathMatch(rule: Rule, target: FileTarget, context: MatchContext): Match {
  if (rule.specifier === null) return 'yes';
  if (target.exact !== null && pathMatches(rule.specifier, target.exact, context)) return 'yes';
  // Something below a folder: certain when the rule covers any name there, possible when some name could match.
  if (target.exact !== null && target.below && pathMatches(rule.specifier, `${target.exact}/\u0001`, context)) return 'yes';
  const globs = ruleGlobs(rule.specifier, context);
  const candidates = target.exact === null ? [target.glob] : [];
  if (target.below) candidates.push(`${target.glob}/*`);
  return candidates.some((candidate) => globs.some((glob) => globsIntersect(candidate, glob))) ? 'maybe' : 'no';
}

/** Command text for messages: run-time parts shown as `…`. */
function printable(text: string): string {
  const shown = text.replaceAll('\u0000', '…');
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}

/** The input field in which a file tool names the file (or folder) it reads or writes, if it names one. */
function fileFieldOf(use: ToolUse): 'file_path' | 'notebook_path' | 'path' | undefined {
  if (!EDIT_TOOLS.has(use.tool) && !READ_TOOLS.has(use.tool)) return undefined;
  return (['file_path', 'notebook_path', 'path'] as const).find((key) => stringField(use.input, key) !== undefined);
}

/** The file a file tool reads or writes. */
function fileOf(use: ToolUse): string | undefined {
  const field = fileFieldOf(use);
  return field && stringField(use.input, field);
}

function stringField(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  return typeof value === 'string' ? value : undefined;
}
