import type { Arg } from './shellWord.ts';

/**
 * sed and awk are small languages that can run commands and write or read files of their own
 * (`sed 's/x/y/e'`, `sed 'w out'`, `awk '{ system("rm x") }'`), so a rule allowing `sed` or `awk`
 * does not vouch for those. These checks find the scripts in the arguments and answer why the
 * analysis cannot vouch for one, or null. They may answer "cannot" for a harmless script (safe:
 * that is a confirm), never the other way round.
 */

/** Why a `sed` invocation is beyond the analysis, or null. */
export function sedProblem(args: Arg[]): string | null {
  const scripts: Arg[] = [];
  let operandScript = true;
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === '--') break;
    if (value === '-e' || value === '--expression') {
      const script = args[++i];
      if (script) scripts.push(script);
      operandScript = false;
    } else if (value.startsWith('--expression=') || /^-[nrsuzE]*e./.test(value)) {
      scripts.push({
        ...args[i]!,
        value: value.startsWith('--') ? value.slice('--expression='.length) : value.slice(value.indexOf('e') + 1),
      });
      operandScript = false;
    } else if (value === '-f' || value.startsWith('--file') || /^-[nrsuzE]*f/.test(value))
      return '`sed -f` runs a script file the analysis cannot read';
    else if (value === '-l' || value === '--line-length') i++;
  }
  if (operandScript) {
    const script = args.find((arg) => !arg.value.startsWith('-'));
    if (script) scripts.push(script);
  }
  for (const script of scripts) {
    if (script.varies) return 'the `sed` script is only known at run time';
    const problem = sedScriptProblem(script.value);
    if (problem) return problem;
  }
  return null;
}

const SED_SIMPLE = new Set('=dDgGhHlnNpPxzF{}'.split(''));

/** Reads a sed script command by command; `e`, `r`, `R`, `w`, `W` and the `e`/`w` flags of `s` are refused. */
function sedScriptProblem(script: string): string | null {
  let i = 0;
  const refuse = (what: string) => `the \`sed\` script ${what}`;
  const skip = (pattern: RegExp) => {
    while (i < script.length && pattern.test(script[i]!)) i++;
  };
  /** Reads up to the next unescaped `delimiter`; false when the script ends first. */
  const delimited = (delimiter: string): boolean => {
    for (; i < script.length; i++) {
      if (script[i] === '\\') i++;
      else if (script[i] === delimiter) {
        i++;
        return true;
      }
    }
    return false;
  };
  const address = (): boolean => {
    if (/[0-9]/.test(script[i] ?? '')) skip(/[0-9~]/);
    else if (script[i] === '$') i++;
    else if (script[i] === '/' || script[i] === '\\') {
      const delimiter = script[i] === '\\' ? script[++i] : '/';
      i++;
      if (!delimiter || !delimited(delimiter)) return false;
      skip(/[IM]/);
    }
    return true;
  };
  while (i < script.length) {
    skip(/[\s;]/);
    if (i >= script.length) break;
    if (script[i] === '#') {
      skip(/[^\n]/);
      continue;
    }
    if (!address()) return refuse('has an address the analysis cannot read');
    if (script[i] === ',') {
      i++;
      if (script[i] === '+' || script[i] === '~') i++;
      if (!address()) return refuse('has an address the analysis cannot read');
    }
    skip(/[\s!]/);
    const command = script[i++];
    if (command === undefined) break;
    if (SED_SIMPLE.has(command)) continue;
    if ('ewWrR'.includes(command))
      return refuse(`uses its \`${command}\` command, which ${command === 'e' ? 'runs a command' : 'reads or writes a file'}`);
    if (command === 's' || command === 'y') {
      const delimiter = script[i++];
      if (!delimiter || delimiter === '\n' || delimiter === '\\' || !delimited(delimiter) || !delimited(delimiter))
        return refuse(`has an \`${command}\` command the analysis cannot read`);
      const flags = /^[gpiImMew0-9]*/.exec(script.slice(i))![0];
      if (command === 's' && /[ew]/.test(flags))
        return refuse(
          `uses the \`${/e/.test(flags) ? 'e' : 'w'}\` flag of \`s\`, which ${/e/.test(flags) ? 'runs a command' : 'writes a file'}`,
        );
      i += flags.length;
    } else if ('aic'.includes(command)) {
      for (; i < script.length && script[i] !== '\n'; i++) if (script[i] === '\\') i++;
    } else if (':btTqQlLv'.includes(command)) skip(/[^;\n}]/);
    else return refuse(`uses \`${command}\`, which the analysis does not know`);
  }
  return null;
}

/** Why an `awk` invocation is beyond the analysis, or null. */
export function awkProblem(args: Arg[]): string | null {
  let program: Arg | undefined;
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (
      value === '-f' ||
      value.startsWith('--file') ||
      value === '-i' ||
      value === '-l' ||
      value.startsWith('--include') ||
      value.startsWith('--load')
    ) {
      return '`awk` runs a program file the analysis cannot read';
    }
    if (value === '-e' || value === '--source') {
      program = args[++i];
      break;
    }
    if (value === '-F' || value === '-v' || value === '--assign' || value === '--field-separator') i++;
    else if (value === '--') {
      program = args[i + 1];
      break;
    } else if (!value.startsWith('-')) {
      program = args[i];
      break;
    }
  }
  if (!program) return null;
  if (program.varies) return 'the `awk` program is only known at run time';
  const text = program.value;
  if (/\bsystem\s*\(|\bgetline\b|@load|@include/.test(text))
    return 'the `awk` program runs commands or reads files of its own (system, getline)';
  if (/(^|[^|])\|(?!\|)/.test(text)) return 'the `awk` program pipes to or from a command';
  if (/\bprintf?\b[^;{}\n]*>/.test(text)) return 'the `awk` program writes to a file';
  return null;
}
