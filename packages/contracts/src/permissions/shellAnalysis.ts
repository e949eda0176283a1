import path from 'node:path';
import {
  type ArithmeticExpression,
  type Assignment,
  type Command,
  type DoubleQuotedChild,
  type ParameterExpansionPart,
  parse,
  type ParsedScript,
  type PipelineNode,
  type AndOr,
  type CompoundList,
  type Redirection,
  type Statement,
  type TestExpression,
  type Word,
  type WordPart,
} from 'unbash';
import { HOLE } from './bashRules.ts';
import { commandMeaning, type PathUse } from './shellCommands.ts';
import type { Arg } from './shellWord.ts';

/**
 * Reads a Bash command line the way bash will (with unbash, a parser of the Bash grammar) and lists
 * what it would do: every simple command that runs, wherever it sits (pipelines, lists, subshells,
 * groups, conditionals, loops, functions, `$(…)`, backticks, `<(…)`/`>(…)`, arithmetic, heredocs,
 * `bash -c '…'`, `eval`, wrappers such as `timeout`/`sudo`/`xargs`/`find -exec`), the files its
 * redirections and well-known readers and writers touch, and every reason it cannot vouch for a
 * part (a command name only known at run time, `source`, a parse error, a limit…). Pure: no rules
 * here (see matcher.ts).
 */

/** One simple command that would run. */
export interface ShellCommand {
  /** Its words as the agent wrote them, joined by single spaces (rules are written against these). */
  written: string;
  /** Its words after quote removal (prefix assignments first), with {@link HOLE} for run-time parts. */
  text: string;
  /** Other spellings deny and ask rules also see: without prefix assignments, with the program's basename. */
  spellings: Spelling[];
  /** The command that runs this one (a wrapper, `xargs`, `bash -c`, `find -exec`), or null. */
  parent: number | null;
  /** Whether a rule allowing the parent also allows this one. */
  coveredByParent: boolean;
  /** False when it only runs other commands that are checked instead (`timeout 5 …`, `bash -c '…'`). */
  needsRule: boolean;
  /** Where it sits, for messages ('' at the top level). */
  origin: string;
}

/** A command's text and the part of it known for certain (its start, up to the first run-time part). */
export interface Spelling {
  text: string;
  certain: string;
}

/** A file a command would read or write. */
export interface FileAccess {
  mode: 'read' | 'write';
  /** Redirections and `find -delete`/`-fprint` need an Edit rule; files named to known readers and writers meet only deny and ask rules. */
  strict: boolean;
  path: Arg;
  /** And everything below it. */
  below: boolean;
  /** A write that puts there what these name (a copy's, move's or link's sources); null for other writes and reads. */
  from: Arg[] | null;
  origin: string;
}

export interface ShellAnalysis {
  commands: ShellCommand[];
  files: FileAccess[];
  /** Reasons the analysis cannot vouch for (part of) the command: each makes it at least confirm. */
  unknowns: string[];
  /** A `cd`/`pushd`/`popd` runs, so relative paths may be read against another folder. */
  changesDirectory: boolean;
}

/** Bounds that keep the analysis fast on hostile input; beyond them the answer is confirm. */
export const SHELL_LIMITS = {
  /** Characters of one command line. */
  maxChars: 64 * 1024,
  /** Nesting of ( { [ and substitutions, counted before parsing. */
  maxNesting: 32,
  /** Syntax nodes visited. */
  maxNodes: 20_000,
  /** Code run by code (`bash -c "eval '…'"`). */
  maxScriptDepth: 8,
};

/** Variables bash sets to numbers, safe in arithmetic. */
const NUMERIC_SPECIALS = new Set([
  '#',
  '?',
  '$',
  '!',
  'RANDOM',
  'SRANDOM',
  'SECONDS',
  'LINENO',
  'BASHPID',
  'PPID',
  'UID',
  'EUID',
  'EPOCHSECONDS',
]);
/** Shell variables whose value changes how later commands run or what they mean (a plain assignment is enough). */
const SENSITIVE_VARIABLES =
  /^(PATH|HOME|SHELL|IFS|CDPATH|ENV|BASH_ENV|PS4|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|GLOBIGNORE|BASH_XTRACEFD|PWD|OLDPWD|TMPDIR|LD_\w*|DYLD_\w*)$/;
const DECLARATIONS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
const ARITHMETIC_ASSIGN = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '^=', '|=']);
const ARITHMETIC_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
const HARMLESS_DEVICES = /^\/dev\/(null|zero|stdin|stdout|stderr|tty|fd\/[0-2]|random|urandom)$/;

interface Scope {
  parent: number | null;
  covered: boolean;
  origin: string;
  depth: number;
}

class TooLarge extends Error {}

export function analyzeShell(source: string): ShellAnalysis {
  const analysis = new Analyzer();
  try {
    analysis.script(source, { parent: null, covered: false, origin: '', depth: 0 });
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    analysis.unknowns.push(`the command is larger than the analysis reads (over ${SHELL_LIMITS.maxNodes} syntax nodes)`);
  }
  return analysis.result();
}

class Analyzer {
  readonly commands: ShellCommand[] = [];
  readonly files: FileAccess[] = [];
  readonly unknowns: string[] = [];
  private changesDirectory = false;
  private nodes = 0;
  /** Per variable: whether every assignment seen gives it a number. */
  private readonly numeric = new Map<string, boolean>();
  /** Variables whose value bash evaluates as arithmetic. */
  private readonly arithmeticNames = new Set<string>();

  result(): ShellAnalysis {
    for (const name of this.arithmeticNames) {
      if (!NUMERIC_SPECIALS.has(name) && this.numeric.get(name) !== true) {
        this.unknowns.push(
          `arithmetic reads \`${name}\`, whose value the analysis cannot see (bash runs \`$(…)\` hidden in array subscripts there)`,
        );
      }
    }
    return { commands: this.commands, files: this.files, unknowns: this.unknowns, changesDirectory: this.changesDirectory };
  }

  /** Parses and walks shell code given as text: the command line itself, or code run by `bash -c`, `eval`… */
  script(source: string, scope: Scope): void {
    if (scope.depth > SHELL_LIMITS.maxScriptDepth)
      return this.unknown(`code nested more than ${SHELL_LIMITS.maxScriptDepth} levels deep`, scope);
    if (source.length > SHELL_LIMITS.maxChars) return this.unknown(`the command is longer than ${SHELL_LIMITS.maxChars} characters`, scope);
    if (nesting(source) > SHELL_LIMITS.maxNesting)
      return this.unknown(`the command nests more than ${SHELL_LIMITS.maxNesting} levels deep`, scope);
    this.parsed(parse(source), scope);
  }

  private parsed(script: ParsedScript | undefined, scope: Scope): void {
    this.tick();
    if (!script) return this.unknown('a substitution the parser could not read', scope);
    if (script.errors?.length) this.unknown(`the shell parser could not read it: ${script.errors[0]!.message}`, scope);
    this.statements(script.commands, scope);
  }

  private statements(list: readonly Statement[], scope: Scope): void {
    for (const statement of list) this.node(statement.command, scope);
  }

  private node(node: PipelineNode | AndOr | CompoundList, scope: Scope): void {
    this.tick();
    switch (node.type) {
      case 'AndOr':
      case 'Pipeline':
        for (const command of node.commands) this.node(command, scope);
        return;
      case 'Command':
        return this.simple(node, scope);
      case 'Redirected':
        this.node(node.command, scope);
        return this.redirects(node.redirects, scope);
      case 'Function':
        return this.node(node.body, { ...scope, origin: `in function ${node.name.text}` });
      case 'Coproc':
        return this.node(node.body, scope);
      case 'Subshell':
      case 'BraceGroup':
        return this.statements(node.body.commands, scope);
      case 'CompoundList':
        return this.statements(node.commands, scope);
      case 'If':
        this.statements(node.clause.commands, scope);
        this.statements(node.then.commands, scope);
        for (const elif of node.elif) {
          this.statements(elif.clause.commands, scope);
          this.statements(elif.then.commands, scope);
        }
        if (node.else) this.statements(node.else.commands, scope);
        return;
      case 'For':
      case 'Select': {
        const words = (node.wordlist ?? []).map((word) => this.word(word, scope));
        const numeric =
          node.type === 'For' &&
          node.wordlist !== undefined &&
          words.every((word) => /^-?\d+$/.test(word.value) || /^\{-?\d+\.\.-?\d+(\.\.-?\d+)?\}$/.test(word.raw));
        this.assigned(node.name.value, numeric);
        return this.statements(node.body.commands, scope);
      }
      case 'ArithmeticFor':
        for (const expression of [node.initialize, node.test, node.update]) if (expression) this.arithmetic(expression, scope);
        return this.statements(node.body.commands, scope);
      case 'While':
        this.statements(node.clause.commands, scope);
        return this.statements(node.body.commands, scope);
      case 'Case':
        this.word(node.word, scope);
        for (const item of node.items) {
          for (const pattern of item.pattern) this.word(pattern, scope);
          this.statements(item.body.commands, scope);
        }
        return;
      case 'TestCommand':
        return this.test(node.expression, scope);
      case 'ArithmeticCommand':
        if (!node.expression) return this.unknown(`an arithmetic command the parser could not read: ((${node.body}))`, scope);
        return this.arithmetic(node.expression, scope);
      default:
        return this.unknown(`a shell construct the analysis does not know (${(node as { type: string }).type})`, scope);
    }
  }

  private simple(node: Command, scope: Scope): void {
    const prefix = node.prefix.filter((item): item is Assignment => item.type === 'Assignment').map((item) => this.assignment(item, scope));
    this.redirects(node.redirects, scope);
    if (!node.name) {
      for (const assignment of node.prefix) {
        if (assignment.type === 'Assignment' && SENSITIVE_VARIABLES.test(assignment.name)) {
          this.unknown(`it sets \`${assignment.name}\`, which changes how later commands run`, scope);
        }
      }
      return;
    }
    const name = this.word(node.name, scope);
    const declaration = DECLARATIONS.has(name.value);
    const args = node.args.map((arg) => (arg.type === 'Assignment' ? this.assignment(arg, scope, declaration) : this.word(arg, scope)));
    if (declaration) this.declaration(name.value, node, args, scope);
    const index = this.addCommand([name, ...args], prefix, scope, {
      written: true,
      appendsArgs: false,
      parent: scope.parent,
      covered: scope.covered,
    });
    this.interpret(index, [name, ...args], scope);
  }

  /** What the command's program does beyond running: the commands and code it runs, the files it names. */
  private interpret(index: number, words: Arg[], scope: Scope): void {
    const program = words[0]!;
    if (program.varies) return this.unknown(`the command name is only known at run time (${program.raw})`, scope);
    const name = path.posix.basename(program.value);
    const meaning = commandMeaning(name, words.slice(1));
    if (meaning.unknown) this.unknown(meaning.unknown, scope);
    if (meaning.changesDirectory) this.changesDirectory = true;
    const file = (mode: FileAccess['mode'], strict: boolean) => (use: PathUse) => this.file(mode, strict, use, scope);
    meaning.reads.forEach(file('read', false));
    meaning.writes.forEach(file('write', false));
    meaning.strictWrites.forEach(file('write', true));
    for (const variable of meaning.variableNames) this.variableName(variable, scope);
    for (const expression of meaning.arithmetic) this.letExpression(expression, scope);
    const inner = { ...scope, origin: `run by ${name}` };
    for (const run of meaning.runs) {
      if (run.transparent) this.commands[index]!.needsRule = false;
      const child = this.addCommand(run.args, [], inner, {
        written: false,
        appendsArgs: run.appendsArgs,
        parent: index,
        covered: run.coveredByOuter,
      });
      this.interpret(child, run.args, inner);
    }
    for (const script of meaning.scripts) {
      if (script.transparent) this.commands[index]!.needsRule = false;
      this.script(script.source, { parent: index, covered: true, origin: `in code run by ${name}`, depth: scope.depth + 1 });
    }
  }

  private addCommand(
    words: Arg[],
    assignments: Arg[],
    scope: Scope,
    how: { written: boolean; appendsArgs: boolean; parent: number | null; covered: boolean },
  ): number {
    const tail = how.appendsArgs ? [{ value: HOLE, raw: HOLE, varies: true, splits: true, glob: '*', fixed: '' } satisfies Arg] : [];
    const all = [...assignments, ...words, ...tail];
    const main = spelling(all);
    const spellings = [main, spelling([...words, ...tail])];
    if (words[0]!.value.includes('/')) {
      const base = { ...words[0]!, value: path.posix.basename(words[0]!.value), fixed: path.posix.basename(words[0]!.fixed) };
      spellings.push(spelling([base, ...words.slice(1), ...tail]));
    }
    this.commands.push({
      written: how.written ? [...assignments, ...words, ...tail].map((word) => word.raw).join(' ') : main.text,
      text: main.text,
      spellings: spellings.filter((item, i) => spellings.findIndex((other) => other.text === item.text) === i),
      parent: how.parent,
      coveredByParent: how.covered,
      needsRule: true,
      origin: scope.origin,
    });
    return this.commands.length - 1;
  }

  private file(mode: FileAccess['mode'], strict: boolean, use: PathUse, scope: Scope): void {
    const arg = use.arg;
    if (!arg.varies && HARMLESS_DEVICES.test(arg.value)) return;
    if (/^\/dev\/(tcp|udp)\//.test(arg.fixed)) return this.unknown(`it opens a network connection (${arg.raw})`, scope);
    this.files.push({ mode, strict, path: arg, below: use.below ?? false, from: use.from ?? null, origin: scope.origin });
  }

  private redirects(list: readonly Redirection[], scope: Scope): void {
    for (const redirect of list) {
      this.tick();
      if (redirect.type === 'HereDoc') {
        // An unquoted delimiter lets the shell expand the body: its substitutions run.
        if (redirect.body.parts) this.parts(redirect.body.parts, scope, new Accumulator(), true);
        continue;
      }
      if (!redirect.target) {
        this.unknown('a redirection without a target', scope);
        continue;
      }
      const target = this.word(redirect.target, scope);
      if (redirect.type === 'HereString') continue;
      // `> >(tee f)` writes to a pipe (the substitution's commands are checked as commands).
      if (redirect.target.parts?.length === 1 && redirect.target.parts[0]!.type === 'ProcessSubstitution') continue;
      const duplicate = (redirect.operator === '>&' || redirect.operator === '<&') && !target.varies && /^(\d+-?|-)$/.test(target.value);
      if (duplicate) continue;
      if (['>', '>>', '>|', '&>', '&>>', '<>', '>&'].includes(redirect.operator)) this.file('write', true, { arg: target }, scope);
      if (['<', '<>', '<&'].includes(redirect.operator)) this.file('read', false, { arg: target }, scope);
    }
  }

  /** `name=value` (prefix, standalone, or an argument of `declare`/`local`/`export`…) as an argument. */
  private assignment(assignment: Assignment, scope: Scope, declaration = false): Arg {
    this.tick();
    if (assignment.index) this.arithmeticWord(assignment.index, scope);
    const lead = `${assignment.name}${assignment.index ? `[${assignment.index.text}]` : ''}${assignment.append ? '+=' : '='}`;
    if (declaration && SENSITIVE_VARIABLES.test(assignment.name))
      this.unknown(`it sets \`${assignment.name}\`, which changes how later commands run`, scope);
    if (assignment.value.type === 'ArrayValue') {
      this.assigned(assignment.name, false);
      const elements = assignment.value.elements.map((element) => {
        if (/^\[.*[$`]/.test(element.text)) this.unknown(`an array subscript with an expansion (${element.text})`, scope);
        return this.word(element, scope);
      });
      const value = `${lead}(${elements.map((element) => element.value).join(' ')})`;
      return { value, raw: assignment.text, varies: true, splits: false, glob: '*', fixed: lead };
    }
    const value = this.word(assignment.value, scope);
    const parts = assignment.value.parts;
    this.assigned(assignment.name, /^-?\d+$/.test(value.value) || (parts?.length === 1 && parts[0]!.type === 'ArithmeticExpansion'));
    return { value: lead + value.value, raw: assignment.text, varies: value.varies, splits: false, glob: '*', fixed: lead + value.fixed };
  }

  /** `declare -i`/`-n` make later assignments evaluate code; names with subscripts are evaluated too. */
  private declaration(name: string, node: Command, args: Arg[], scope: Scope): void {
    node.args.forEach((arg, i) => {
      if (arg.type === 'Assignment') return;
      const word = args[i]!;
      if (/^[-+]/.test(word.value)) {
        if (name !== 'export' && /[in]/.test(word.value))
          this.unknown(`\`${name} ${word.value}\` gives a variable an attribute that makes bash evaluate its values`, scope);
      } else this.variableName(word, scope);
    });
  }

  /** A variable name given to a builtin: bash evaluates an array subscript in it as arithmetic (which runs `$(…)`). */
  private variableName(arg: Arg, scope: Scope): void {
    if (arg.varies)
      return this.unknown(`a variable name only known at run time (${arg.raw}); bash evaluates array subscripts in it`, scope);
    const match = /^[A-Za-z_]\w*(?:\[(.*)\])?$/s.exec(arg.value);
    if (!match?.[1]) return;
    if (/[$`]/.test(match[1])) return this.unknown(`an array subscript with an expansion (${arg.raw}), which bash evaluates`, scope);
    this.arithmeticText(match[1]);
  }

  /** One argument of `let`: arithmetic, possibly an assignment. */
  private letExpression(arg: Arg, scope: Scope): void {
    if (arg.varies || /[$`]/.test(arg.value))
      return this.unknown(`\`let\` evaluates ${arg.raw}, which the analysis cannot see through`, scope);
    const assignment = /^([A-Za-z_]\w*)\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)(.*)$/s.exec(arg.value);
    if (assignment) {
      this.assigned(assignment[1]!, true);
      this.arithmeticText(assignment[2]!);
    } else this.arithmeticText(arg.value);
  }

  private test(expression: TestExpression, scope: Scope): void {
    this.tick();
    switch (expression.type) {
      case 'TestUnary': {
        const operand = this.word(expression.operand, scope);
        if (expression.operator === '-v') this.variableName(operand, scope);
        return;
      }
      case 'TestBinary':
        if (ARITHMETIC_TESTS.has(expression.operator)) {
          this.arithmeticWord(expression.left, scope);
          this.arithmeticWord(expression.right, scope);
        } else {
          this.word(expression.left, scope);
          this.word(expression.right, scope);
        }
        return;
      case 'TestLogical':
        for (const operand of expression.operands) this.test(operand, scope);
        return;
      case 'TestNot':
        return this.test(expression.operand, scope);
      case 'TestGroup':
        return this.test(expression.expression, scope);
      default:
        return this.unknown('a test expression the analysis does not know', scope);
    }
  }

  private arithmetic(expression: ArithmeticExpression | undefined, scope: Scope): void {
    this.tick();
    if (!expression) return this.unknown('an arithmetic expression the parser could not read', scope);
    switch (expression.type) {
      case 'ArithmeticBinary':
        if (
          ARITHMETIC_ASSIGN.has(expression.operator) &&
          expression.left.type === 'ArithmeticWord' &&
          /^[A-Za-z_]\w*$/.test(expression.left.value)
        ) {
          this.assigned(expression.left.value, true);
          if (expression.operator !== '=') this.arithmeticNames.add(expression.left.value);
        } else this.arithmetic(expression.left, scope);
        return this.arithmetic(expression.right, scope);
      case 'ArithmeticUnary':
        if (/^(\+\+|--)$/.test(expression.operator) && expression.operand.type === 'ArithmeticWord')
          this.assigned(expression.operand.value, true);
        return this.arithmetic(expression.operand, scope);
      case 'ArithmeticTernary':
        this.arithmetic(expression.test, scope);
        this.arithmetic(expression.consequent, scope);
        return this.arithmetic(expression.alternate, scope);
      case 'ArithmeticGroup':
        return this.arithmetic(expression.expression, scope);
      case 'ArithmeticWord':
        if (expression.parts) this.arithmeticParts(expression.parts, scope);
        else this.arithmeticText(expression.value);
        return;
      case 'ArithmeticCommandExpansion':
        return this.parsed(expression.script, { ...scope, origin: 'in $(…)' });
      default:
        return this.unknown('an arithmetic expression the analysis does not know', scope);
    }
  }

  /** A word bash evaluates as arithmetic (subscripts, slices, `[[ -eq ]]`). */
  private arithmeticWord(word: Word, scope: Scope): void {
    if (word.value === '@' || word.value === '*') return;
    if (word.parts) this.arithmeticParts(word.parts, scope);
    else this.arithmeticText(word.value);
  }

  private arithmeticParts(parts: readonly WordPart[], scope: Scope): void {
    for (const part of parts) {
      if (part.type === 'Literal' || part.type === 'SingleQuoted') this.arithmeticText(part.value);
      else if (part.type === 'SimpleExpansion') this.arithmeticNames.add(part.text.replace(/^\$\{?|\}$/g, ''));
      else if (part.type === 'ParameterExpansion') this.arithmeticNames.add(part.parameter);
    }
    this.parts(parts, scope, new Accumulator(), false);
  }

  /** Names in arithmetic text are variables whose values bash evaluates in turn. */
  private arithmeticText(text: string): void {
    for (const match of text.matchAll(/(?<![\w#@$.])[A-Za-z_]\w*/g)) this.arithmeticNames.add(match[0]);
  }

  private assigned(name: string, numeric: boolean): void {
    this.numeric.set(name, (this.numeric.get(name) ?? true) && numeric);
  }

  /** Evaluates a word as far as its text allows, walking the code in it (substitutions run). */
  word(word: Word, scope: Scope): Arg {
    this.tick();
    if (!word.parts) {
      return {
        value: word.value,
        raw: word.text,
        varies: false,
        splits: false,
        glob: literalGlob(word.value, false, true),
        fixed: word.value,
      };
    }
    const value = new Accumulator();
    this.parts(word.parts, scope, value, false);
    return value.arg(word.text);
  }

  private parts(parts: readonly (WordPart | DoubleQuotedChild)[], scope: Scope, value: Accumulator, quoted: boolean): void {
    for (const part of parts) {
      this.tick();
      switch (part.type) {
        case 'Literal':
          value.literal(part.value, quoted);
          break;
        case 'SingleQuoted':
        case 'AnsiCQuoted':
          value.literal(part.value, true);
          break;
        case 'DoubleQuoted':
        case 'LocaleString':
          this.parts(part.parts, scope, value, true);
          break;
        case 'SimpleExpansion':
          value.runtime(quoted);
          break;
        case 'ParameterExpansion':
          value.runtime(quoted);
          this.parameterExpansion(part, scope);
          break;
        case 'CommandExpansion':
          value.runtime(quoted);
          this.parsed(part.script, { ...scope, origin: part.text.startsWith('`') ? 'in `…`' : 'in $(…)' });
          break;
        case 'ProcessSubstitution':
          value.runtime(true);
          this.parsed(part.script, { ...scope, origin: `in ${part.operator}(…)` });
          break;
        case 'ArithmeticExpansion':
          value.runtime(true);
          this.arithmetic(part.expression, scope);
          break;
        case 'Glob':
        case 'ExtendedGlob':
        case 'BraceExpansion':
          value.pattern(part.text, part.type === 'Glob' && part.kind !== 'bracket' ? part.text : '*');
          if (part.parts) this.parts(part.parts, scope, new Accumulator(), quoted);
          break;
        default:
          value.runtime(quoted);
          this.unknown(`a shell construct the analysis does not know (${(part as { type: string }).type})`, scope);
      }
    }
  }

  private parameterExpansion(part: ParameterExpansionPart, scope: Scope): void {
    const listing = part.operation?.type === 'Names' || part.index?.value === '@' || part.index?.value === '*';
    if (part.prefix === '!' && !listing) this.unknown(`the indirect expansion ${part.text} evaluates a name only known at run time`, scope);
    if (part.index) this.arithmeticWord(part.index, scope);
    const operation = part.operation;
    if (!operation) return;
    switch (operation.type) {
      case 'Default':
        if (operation.operator.includes('=')) this.assigned(part.parameter, false);
        this.word(operation.operand, scope);
        return;
      case 'Remove':
      case 'CaseModification':
        if (operation.operand) this.word(operation.operand, scope);
        return;
      case 'Replace':
        this.word(operation.pattern, scope);
        this.word(operation.replacement, scope);
        return;
      case 'Slice':
        this.arithmeticWord(operation.offset, scope);
        if (operation.length) this.arithmeticWord(operation.length, scope);
        return;
      case 'Transform':
        // `${x@P}` expands the value as a prompt string, which runs `$(…)` in it.
        if (operation.operand.value.includes('P')) this.unknown(`${part.text} expands a value as a prompt, which runs code in it`, scope);
        return;
      case 'Names':
        return;
      default:
        return this.unknown(`a parameter expansion the analysis does not know (${part.text})`, scope);
    }
  }

  private unknown(reason: string, scope: Scope): void {
    this.unknowns.push(scope.origin ? `${reason} (${scope.origin})` : reason);
  }

  private tick(): void {
    if (++this.nodes > SHELL_LIMITS.maxNodes) throw new TooLarge();
  }
}

/** Builds a word's {@link Arg} from its parts. */
class Accumulator {
  private value = '';
  private glob = '';
  private fixed = '';
  private varies = false;
  private splits = false;

  literal(text: string, quoted: boolean): void {
    this.value += text;
    this.glob += literalGlob(text, quoted, this.glob === '');
    if (!this.varies) this.fixed += text;
  }

  runtime(quoted: boolean): void {
    this.value += HOLE;
    this.glob += '*';
    this.varies = true;
    if (!quoted) this.splits = true;
  }

  /** An unquoted glob or brace list: its text stays for rules, but what it expands to is only known at run time. */
  pattern(text: string, glob: string): void {
    this.value += text;
    this.glob += glob;
    this.varies = true;
    this.splits = true;
  }

  arg(raw: string): Arg {
    return { value: this.value, raw, varies: this.varies, splits: this.splits, glob: this.glob, fixed: this.fixed };
  }
}

/** Literal text as a path glob: its own `*` `?` `[` become `?` (any one character: wider, never narrower); a quoted leading `~` is not home. */
function literalGlob(text: string, quoted: boolean, leading: boolean): string {
  const glob = text.replace(/[*?[]/g, '?');
  return quoted && leading && glob.startsWith('~') ? `?${glob.slice(1)}` : glob;
}

/** A command's text from its words, and the part of it known for certain. */
function spelling(words: Arg[]): Spelling {
  const text = words.map((word) => word.value).join(' ');
  const firstVarying = words.findIndex((word) => word.varies);
  if (firstVarying === -1) return { text, certain: text };
  const before = words
    .slice(0, firstVarying)
    .map((word) => `${word.value} `)
    .join('');
  return { text, certain: before + words[firstVarying]!.fixed };
}

/** The deepest nesting of brackets, braces and parentheses (quotes not considered: wider, never narrower). */
function nesting(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of source) {
    if (char === '(' || char === '{' || char === '[') deepest = Math.max(deepest, ++depth);
    else if ((char === ')' || char === '}' || char === ']') && depth > 0) depth--;
  }
  return deepest;
}
