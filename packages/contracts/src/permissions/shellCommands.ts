import { HOLE } from './bashRules.ts';
import { type Arg, literalArg } from './shellWord.ts';
import { awkProblem, sedProblem } from './toolScripts.ts';

/** A path a command reads or writes; `below`: and everything under it (recursive readers, `rm -r`, `find -delete`). */
export interface PathUse {
  arg: Arg;
  below?: boolean;
  /** A write that puts there what these name (a copy's, move's or link's sources): what it brings may come from elsewhere. */
  from?: Arg[];
}

/** A command run by another one, given by its words. */
export interface InnerCommand {
  args: Arg[];
  /** It gets more arguments at run time (`xargs grep x` runs `grep x <names>`). */
  appendsArgs: boolean;
  /** The outer command needs no rule of its own: it only runs this one (`timeout 5 npm test`). */
  transparent: boolean;
  /** A rule allowing the outer command also allows this one (`Bash(sudo:*)` allows `sudo rm x`). */
  coveredByOuter: boolean;
}

/** Shell code a command runs, as literal text (`bash -c '…'`, `eval …`, `trap '…' EXIT`). */
export interface InnerScript {
  source: string;
  transparent: boolean;
}

/** What a simple command does beyond running its own program, as far as Mission knows the program. */
export interface CommandMeaning {
  runs: InnerCommand[];
  scripts: InnerScript[];
  /** Files it reads, writes (only deny and ask rules apply), and writes as the shell's redirections do (Edit rules apply in full). */
  reads: PathUse[];
  writes: PathUse[];
  strictWrites: PathUse[];
  /** Names it assigns or reads as variables: bash evaluates array subscripts in them (`unset 'a[$(id)]'`). */
  variableNames: Arg[];
  /** Arguments bash evaluates as arithmetic (`let`). */
  arithmetic: Arg[];
  changesDirectory: boolean;
  /** Why the analysis cannot vouch for it, whatever the rules say. */
  unknown: string | null;
}

const emptyMeaning = (): CommandMeaning => ({
  runs: [],
  scripts: [],
  reads: [],
  writes: [],
  strictWrites: [],
  variableNames: [],
  arithmetic: [],
  changesDirectory: false,
  unknown: null,
});

/**
 * What Mission knows of a command from its name (the basename of its first word) and arguments:
 * wrappers and the commands they run, shells and `eval` and the code they run, readers and writers
 * and the files they name, and options that make a program run code the rules do not see.
 */
export function commandMeaning(name: string, args: Arg[]): CommandMeaning {
  const meaning = emptyMeaning();
  const handler = HANDLERS[name];
  if (handler) handler(args, meaning);
  if (READERS.has(name)) meaning.reads.push(...pathOperands(args).map((arg) => ({ arg })));
  const programReader = PROGRAM_READERS[name];
  if (programReader) {
    const { operands: files, files: optionFiles } = programReaderFiles(programReader, args);
    const below = ALWAYS_RECURSIVE.has(name) || (programReader === GREP && [...flags(args)].some((flag) => RECURSIVE_FLAGS.includes(flag)));
    const paths = below && files.length === 0 ? [literalArg('.')] : files;
    meaning.reads.push(...optionFiles.map((arg) => ({ arg })), ...paths.map((arg) => ({ arg, below })));
  }
  if (WRITERS.has(name)) {
    const below = name === 'shred' || [...flags(args)].some((flag) => RECURSIVE_FLAGS.includes(flag));
    meaning.writes.push(...pathOperands(args).map((arg) => ({ arg, below })));
  }
  if (NOT_FOLLOWED.has(name)) meaning.unknown ??= `\`${name}\` runs another program the analysis does not follow`;
  if (OTHER_LANGUAGE_SHELLS.has(name) && args.length > 0)
    meaning.unknown ??= `\`${name}\` runs code in a shell language the analysis does not read`;
  return meaning;
}

type Handler = (args: Arg[], meaning: CommandMeaning) => void;

/** Readers: every operand (and `--opt=value`, `@file`) may be a file whose content the command reads. */
const READERS = new Set(
  (
    'cat tac nl head tail less more most bat batcat view zcat bzcat xzcat cut sort uniq wc diff cmp comm paste join fold fmt pr column base64 base32 ' +
    'basenc xxd od hexdump hd strings file md5sum sha1sum sha224sum sha256sum sha384sum sha512sum b2sum cksum sum iconv expand unexpand rev shuf openssl gpg'
  ).split(' '),
);
/**
 * Readers whose first operand is a pattern or program, not a file (unless one of `programOptions`
 * gives it): options in `values` take a value that is not a file, those in `files` one that is.
 */
interface ProgramReader {
  values: string[];
  files: string[];
  programOptions: string[];
}
const GREP: ProgramReader = {
  values: [
    '-e',
    '--regexp',
    '-m',
    '--max-count',
    '-A',
    '--after-context',
    '-B',
    '--before-context',
    '-C',
    '--context',
    '-d',
    '--directories',
    '-D',
    '--devices',
    '--include',
    '--exclude',
    '--exclude-dir',
    '--color',
    '--colour',
    '--label',
    '-g',
    '--glob',
    '-t',
    '--type',
    '-T',
    '--type-not',
    '-M',
    '--max-columns',
    '-j',
    '--threads',
    '--sort',
    '--sortr',
  ],
  files: ['-f', '--file', '--exclude-from', '--ignore-file'],
  programOptions: ['-e', '--regexp', '-f', '--file'],
};
const PROGRAM_READERS: Record<string, ProgramReader> = {
  grep: GREP,
  egrep: GREP,
  fgrep: GREP,
  zgrep: GREP,
  rg: GREP,
  ag: GREP,
  ack: GREP,
  ugrep: GREP,
  sed: {
    values: ['-e', '--expression', '-l', '--line-length'],
    files: ['-f', '--file'],
    programOptions: ['-e', '--expression', '-f', '--file'],
  },
  awk: {
    values: ['-F', '--field-separator', '-v', '--assign', '-e', '--source'],
    files: ['-f', '--file'],
    programOptions: ['-e', '--source', '-f', '--file'],
  },
};
PROGRAM_READERS.gawk = PROGRAM_READERS.mawk = PROGRAM_READERS.nawk = PROGRAM_READERS.awk!;
/** Writers: operands are files the command changes (deny and ask Edit rules apply). */
const WRITERS = new Set('rm rmdir unlink shred touch mkdir truncate chmod chown chgrp chattr setfacl tee'.split(' '));
const ALWAYS_RECURSIVE = new Set(['rg', 'ag', 'ack']);
const RECURSIVE_FLAGS = ['-r', '-R', '--recursive', '--dereference-recursive', '--directories=recurse'];
/** Programs that run another program in ways the analysis does not follow (their options vary too much). */
const NOT_FOLLOWED = new Set(
  'strace ltrace nsenter unshare chroot su runuser pkexec script busybox toybox firejail bwrap systemd-run unbuffer parallel entr fakeroot proot gdb valgrind perf expect'.split(
    ' ',
  ),
);
const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'ksh', 'mksh', 'ash', 'yash', 'posh', 'zsh']);
const OTHER_LANGUAGE_SHELLS = new Set(['fish', 'csh', 'tcsh', 'nu', 'elvish', 'xonsh', 'pwsh', 'powershell', 'rc']);

/** Wrappers that run the command after their options (and positionals) and do nothing else that matters. */
interface WrapperSpec {
  /** Options taking a value. */
  values: string[];
  /** Operands before the command (`timeout DURATION command`). */
  positionals?: number;
  /** Options with which no command runs (`chrt -p PID`). */
  noCommand?: string[];
  /** Options whose value is a file the wrapper writes (`time -o FILE`). */
  writeOptions?: string[];
  /** Options whose value is shell code (`flock -c '…'`). */
  scriptOptions?: string[];
  /** Options the analysis cannot follow (`sudo -s`). */
  unknownOptions?: string[];
  /** Whether a rule for the wrapped command is enough (false: the wrapper needs a rule of its own). */
  transparent: boolean;
}

const WRAPPERS: Record<string, WrapperSpec> = {
  time: { values: ['-f', '--format', '-o', '--output'], writeOptions: ['-o', '--output'], transparent: true },
  timeout: { values: ['-k', '--kill-after', '-s', '--signal'], positionals: 1, transparent: true },
  nice: { values: ['-n', '--adjustment'], transparent: true },
  nohup: { values: [], transparent: true },
  stdbuf: { values: ['-i', '-o', '-e', '--input', '--output', '--error'], transparent: true },
  ionice: { values: ['-c', '--class', '-n', '--classdata'], noCommand: ['-p', '--pid', '-P', '--pgid', '-u', '--uid'], transparent: true },
  chrt: {
    values: ['-T', '--sched-runtime', '-P', '--sched-period', '-D', '--sched-deadline'],
    positionals: 1,
    noCommand: ['-p', '--pid'],
    transparent: true,
  },
  taskset: { values: [], positionals: 1, noCommand: ['-p', '--pid'], transparent: true },
  setsid: { values: [], transparent: true },
  command: { values: [], noCommand: ['-v', '-V'], transparent: true },
  builtin: { values: [], transparent: true },
  exec: { values: ['-a'], transparent: true },
  flock: {
    values: ['-w', '--wait', '--timeout', '-E', '--conflict-exit-code'],
    positionals: 1,
    scriptOptions: ['-c', '--command'],
    transparent: true,
  },
  sudo: {
    values: [
      '-u',
      '--user',
      '-g',
      '--group',
      '-h',
      '--host',
      '-p',
      '--prompt',
      '-C',
      '--close-from',
      '-D',
      '--chdir',
      '-r',
      '--role',
      '-t',
      '--type',
      '-T',
      '--command-timeout',
      '-U',
      '--other-user',
    ],
    unknownOptions: ['-s', '--shell', '-i', '--login', '-e', '--edit'],
    transparent: false,
  },
  doas: { values: ['-u', '-C'], unknownOptions: ['-s'], transparent: false },
};

const HANDLERS: Record<string, Handler> = {
  ...Object.fromEntries(
    Object.entries(WRAPPERS).map(([name, spec]) => [name, (args: Arg[], meaning: CommandMeaning) => wrapper(name, spec, args, meaning)]),
  ),
  ...Object.fromEntries([...POSIX_SHELLS].map((name) => [name, (args: Arg[], meaning: CommandMeaning) => shell(name, args, meaning)])),
  env,
  xargs,
  find,
  watch,
  git,
  tar,
  cp: copyLike,
  install: copyLike,
  ln: link,
  mv: (args, meaning) => void moveTree(args, meaning),
  eval: (args, meaning) => {
    if (args.some((arg) => arg.varies)) meaning.unknown = '`eval` runs text only known at run time';
    else meaning.scripts.push({ source: args.map((arg) => arg.value).join(' '), transparent: true });
  },
  trap: (args, meaning) => {
    const operands = args[0]?.value === '--' ? args.slice(1) : args;
    const action = operands[0];
    if (!action || operands.length < 2 || action.value.startsWith('-')) return;
    if (action.varies) meaning.unknown = '`trap` sets an action only known at run time';
    else meaning.scripts.push({ source: action.value, transparent: false });
  },
  alias: (args, meaning) => {
    for (const arg of args) {
      if (arg.varies) meaning.unknown = '`alias` defines text only known at run time';
      else if (arg.value.includes('=')) meaning.scripts.push({ source: arg.value.slice(arg.value.indexOf('=') + 1), transparent: false });
    }
  },
  source: (args, meaning) =>
    void (meaning.unknown = `\`source\` runs the commands of ${args[0]?.raw ?? 'a file'}, which the analysis cannot read`),
  '.': (args, meaning) => void (meaning.unknown = `\`.\` runs the commands of ${args[0]?.raw ?? 'a file'}, which the analysis cannot read`),
  cd: (_, meaning) => void (meaning.changesDirectory = true),
  pushd: (_, meaning) => void (meaning.changesDirectory = true),
  popd: (_, meaning) => void (meaning.changesDirectory = true),
  let: (args, meaning) => void meaning.arithmetic.push(...args),
  unset: (args, meaning) => void meaning.variableNames.push(...args.filter((arg) => !arg.value.startsWith('-'))),
  read: (args, meaning) => void meaning.variableNames.push(...operands(args, ['-a', '-d', '-i', '-n', '-N', '-p', '-t', '-u'])),
  mapfile: (args, meaning) => void meaning.variableNames.push(...operands(args, ['-d', '-n', '-O', '-s', '-u', '-C', '-c'])),
  readarray: (args, meaning) => void meaning.variableNames.push(...operands(args, ['-d', '-n', '-O', '-s', '-u', '-C', '-c'])),
  printf: (args, meaning) => void (args[0]?.value === '-v' && args[1] && meaning.variableNames.push(args[1])),
  test: testVariables,
  '[': testVariables,
  rsync: (args, meaning) => {
    if (refuse('rsync', args, meaning, ['-e', '--rsh', '--rsync-path'])) return;
    // `rsync SRC… DEST` writes the tree it copies into its last operand; with one operand it only lists it.
    const paths = pathOperands(args);
    const destination = paths.length > 1 ? paths.pop() : undefined;
    meaning.reads.push(...paths.map((arg) => ({ arg, below: true })));
    if (destination) meaning.writes.push({ arg: destination, below: true, from: paths });
  },
  ssh: (args, meaning) => void refuseSshOptions('ssh', args, meaning),
  scp: remoteCopy,
  sftp: remoteCopy,
  zip: (args, meaning) => void refuse('zip', args, meaning, ['-TT', '--unzip-command']),
  man: (args, meaning) => void refuse('man', args, meaning, ['-P', '--pager', '-H', '--html']),
  sed: (args, meaning) => {
    meaning.unknown = sedProblem(args);
    if (args.some((arg) => /^-[a-zA-Z]*i/.test(arg.value) || arg.value.startsWith('--in-place')))
      meaning.writes.push(...programReaderFiles(PROGRAM_READERS.sed!, args).operands.map((arg) => ({ arg })));
  },
  jq: jsonQuery,
  yq: jsonQuery,
  awk: (args, meaning) => void (meaning.unknown = awkProblem(args)),
  gawk: (args, meaning) => void (meaning.unknown = awkProblem(args)),
  mawk: (args, meaning) => void (meaning.unknown = awkProblem(args)),
  nawk: (args, meaning) => void (meaning.unknown = awkProblem(args)),
  dd: (args, meaning) => {
    for (const arg of args) {
      if (arg.value.startsWith('if=')) meaning.reads.push({ arg: afterPrefix(arg, 'if=') });
      if (arg.value.startsWith('of=')) meaning.writes.push({ arg: afterPrefix(arg, 'of=') });
    }
  },
  curl: (args, meaning) => {
    const { options } = scanOptions(
      args,
      [
        '-o',
        '--output',
        '-T',
        '--upload-file',
        '-d',
        '--data',
        '--data-binary',
        '--data-raw',
        '--data-urlencode',
        '-F',
        '--form',
        '-K',
        '--config',
        '-H',
        '--header',
        '-u',
        '--user',
        '-X',
        '--request',
        '-A',
        '--user-agent',
        '-e',
        '--referer',
        '-b',
        '--cookie',
        '-c',
        '--cookie-jar',
      ],
      { permute: true },
    );
    for (const { name, value } of options) {
      if (!value) continue;
      if (['-o', '--output', '-c', '--cookie-jar'].includes(name)) meaning.writes.push({ arg: value });
      if (['-T', '--upload-file'].includes(name)) meaning.reads.push({ arg: value });
      if (
        ['-d', '--data', '--data-binary', '--data-urlencode', '-F', '--form', '-b', '--cookie', '-H', '--header'].includes(name) &&
        value.value.includes('@')
      ) {
        meaning.reads.push({ arg: afterPrefix(value, value.value.slice(0, value.value.indexOf('@') + 1)) });
      }
      if (['-K', '--config'].includes(name)) meaning.unknown = '`curl --config` takes options from a file the analysis cannot read';
    }
    if (options.some(({ name }) => ['-O', '--remote-name', '--remote-name-all'].includes(name) || /^-[a-zA-Z]*O/.test(name)))
      meaning.writes.push({ arg: literalArg('.'), below: true });
  },
  wget: (args, meaning) => {
    const { options } = scanOptions(
      args,
      [
        '-O',
        '--output-document',
        '-P',
        '--directory-prefix',
        '-o',
        '--output-file',
        '-a',
        '--append-output',
        '-i',
        '--input-file',
        '--post-file',
        '--body-file',
      ],
      { permute: true },
    );
    const named = (names: string[]) => options.filter(({ name, value }) => names.includes(name) && value).map(({ value }) => value!);
    meaning.writes.push(...named(['-O', '--output-document', '-o', '--output-file', '-a', '--append-output']).map((arg) => ({ arg })));
    meaning.reads.push(...named(['-i', '--input-file', '--post-file', '--body-file']).map((arg) => ({ arg })));
    const prefix = named(['-P', '--directory-prefix'])[0];
    if (named(['-O', '--output-document']).length === 0) meaning.writes.push({ arg: prefix ?? literalArg('.'), below: true });
  },
};

/** `timeout 5 npm test` runs `npm test`; options and operands that vary at run time hide which command runs. */
function wrapper(name: string, spec: WrapperSpec, args: Arg[], meaning: CommandMeaning): void {
  const { options, first } = scanOptions(args, [...spec.values, ...(spec.writeOptions ?? []), ...(spec.scriptOptions ?? [])]);
  for (const { name: option, value } of options) {
    if (spec.noCommand?.includes(option)) return;
    if (spec.unknownOptions?.includes(option))
      return void (meaning.unknown = `\`${name} ${option}\` runs a shell the analysis cannot follow`);
    if (value && spec.writeOptions?.includes(option)) meaning.strictWrites.push({ arg: value });
    if (value && spec.scriptOptions?.includes(option)) {
      if (value.varies) meaning.unknown = `\`${name} ${option}\` runs code only known at run time`;
      else meaning.scripts.push({ source: value.value, transparent: spec.transparent });
      return;
    }
  }
  const start = first + (spec.positionals ?? 0);
  if (args.slice(0, Math.min(start, args.length)).some((arg) => arg.varies)) {
    return void (meaning.unknown = `\`${name}\` takes an argument only known at run time, so which command it runs is unknown`);
  }
  // `flock FILE -c 'code'`: the code option comes after the operand.
  const option = args[start]?.value.split('=')[0] ?? '';
  if (spec.scriptOptions?.includes(option)) {
    const code = args[start]!.value.includes('=') ? afterPrefix(args[start]!, `${option}=`) : args[start + 1];
    if (!code || code.varies) return void (meaning.unknown = `\`${name} ${option}\` runs code only known at run time`);
    return void meaning.scripts.push({ source: code.value, transparent: spec.transparent });
  }
  if (start < args.length)
    meaning.runs.push({ args: args.slice(start), appendsArgs: false, transparent: spec.transparent, coveredByOuter: true });
}

/** `bash -c 'code'` runs the code; a shell given a script file or its standard input runs commands the analysis cannot read. */
function shell(name: string, args: Arg[], meaning: CommandMeaning): void {
  const { options, first } = scanOptions(args, ['-o', '+o', '-O', '+O', '--rcfile', '--init-file'], { plus: true });
  if (args.slice(0, first).some((arg) => arg.varies)) return void (meaning.unknown = `\`${name}\` takes an option only known at run time`);
  const names = options.map((option) => option.name);
  if (names.some((option) => ['--version', '--help'].includes(option))) return;
  if (names.some((option) => ['--rcfile', '--init-file'].includes(option)))
    return void (meaning.unknown = `\`${name}\` runs the commands of an rc file the analysis cannot read`);
  if (names.includes('-s')) return void (meaning.unknown = `\`${name} -s\` runs commands from its input, which the analysis cannot read`);
  const code = args[first];
  if (!names.includes('-c')) {
    meaning.unknown = code
      ? `\`${name}\` runs the script ${code.raw}, which the analysis cannot read`
      : `\`${name}\` runs commands from its input, which the analysis cannot read`;
  } else if (!code) meaning.unknown = `\`${name} -c\` is missing its command`;
  else if (code.varies) meaning.unknown = `\`${name} -c\` runs code only known at run time`;
  // zsh reads a different language (glob qualifiers run code): its code is searched for denied commands, but a rule must allow the zsh call itself.
  else meaning.scripts.push({ source: code.value, transparent: name !== 'zsh' });
}

/** `env [-i] [-u NAME] [NAME=VALUE…] command`: with assignments the command runs in a changed environment, which needs a rule of its own. */
function env(args: Arg[], meaning: CommandMeaning): void {
  const { options, first } = scanOptions(args, ['-u', '--unset', '-C', '--chdir', '-S', '--split-string', '-P']);
  if (args.slice(0, first).some((arg) => arg.varies)) return void (meaning.unknown = '`env` takes an option only known at run time');
  for (const { name, value } of options) {
    if (name === '-C' || name === '--chdir') meaning.changesDirectory = true;
    if (name === '-S' || name === '--split-string') {
      const rest = args.slice(first);
      if (!value || value.varies || rest.some((arg) => arg.varies))
        return void (meaning.unknown = '`env -S` runs text only known at run time');
      return void meaning.scripts.push({ source: [value, ...rest].map((arg) => arg.value).join(' '), transparent: false });
    }
  }
  let i = first;
  while (i < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]!.value)) i++;
  if (args.slice(first, i).some((arg) => arg.splits)) return void (meaning.unknown = '`env` takes an assignment only known at run time');
  if (args[i]?.varies) return void (meaning.unknown = '`env` runs a command only known at run time');
  if (i < args.length) meaning.runs.push({ args: args.slice(i), appendsArgs: false, transparent: i === first, coveredByOuter: true });
}

/** `xargs [options] command args`: the command gets more arguments (or `-I` replacements) from the input. */
function xargs(args: Arg[], meaning: CommandMeaning): void {
  const { options, first } = scanOptions(
    args,
    [
      '-a',
      '--arg-file',
      '-d',
      '--delimiter',
      '-E',
      '-I',
      '-L',
      '-n',
      '--max-args',
      '-P',
      '--max-procs',
      '-s',
      '--max-chars',
      '--process-slot-var',
      '-i',
      '-e',
      '-l',
    ],
    { optional: ['-i', '-e', '-l', '--replace', '--eof', '--max-lines'] },
  );
  if (args.slice(0, first).some((arg) => arg.varies))
    return void (meaning.unknown = '`xargs` takes an option only known at run time, so which command it runs is unknown');
  let replace: string | null = null;
  for (const { name, value } of options) {
    if (name === '-I' || name === '-i' || name === '--replace') replace = value?.value || '{}';
    if ((name === '-a' || name === '--arg-file') && value) meaning.reads.push({ arg: value });
  }
  const inner = first < args.length ? args.slice(first) : [literalArg('echo')];
  const replaced = replace === null ? inner : inner.map((arg) => (arg.value.includes(replace!) ? withHole(arg, replace!) : arg));
  meaning.runs.push({ args: replaced, appendsArgs: replace === null, transparent: true, coveredByOuter: true });
}

/** Tests of find's expression that take one value (which cannot be an action unless it splits into words). */
const FIND_TESTS_WITH_VALUE = new Set(
  '-name -iname -path -ipath -wholename -iwholename -lname -ilname -regex -iregex -regextype -newer -anewer -cnewer -samefile -type -xtype -user -group -uid -gid -perm -size -mtime -mmin -atime -amin -ctime -cmin -used -links -inum -maxdepth -mindepth -fstype -context -printf -print0 -newerXY'.split(
    ' ',
  ),
);

/** `find ROOTS EXPRESSION`: `-exec`/`-ok` commands run (with `{}` for each file), `-delete` and `-fprint*` write. */
function find(args: Arg[], meaning: CommandMeaning): void {
  let i = 0;
  while (i < args.length && /^-[HLP]$|^-D$|^-O\d*$/.test(args[i]!.value)) i += args[i]!.value === '-D' ? 2 : 1;
  const roots: Arg[] = [];
  for (; i < args.length && !/^[-(!),]/.test(args[i]!.value); i++) {
    // A root only known at run time may turn out to be an action (`-delete`).
    if (args[i]!.varies) return void (meaning.unknown = '`find` starts from a folder only known at run time, which could be an action');
    roots.push(args[i]!);
  }
  if (roots.length === 0) roots.push(literalArg('.'));
  for (; i < args.length; i++) {
    const word = args[i]!;
    if (['-exec', '-execdir', '-ok', '-okdir'].includes(word.value)) {
      const end = args.findIndex((arg, k) => k > i && (arg.value === ';' || arg.value === '+'));
      if (end === -1) return void (meaning.unknown = `\`find ${word.value}\` is not ended by ';' or '+'`);
      const command = args.slice(i + 1, end).map((arg) => (arg.value.includes('{}') ? withHole(arg, '{}') : arg));
      if (command.length === 0) return void (meaning.unknown = `\`find ${word.value}\` names no command`);
      meaning.runs.push({ args: command, appendsArgs: false, transparent: false, coveredByOuter: false });
      i = end;
    } else if (word.value === '-delete') meaning.strictWrites.push(...roots.map((arg) => ({ arg, below: true })));
    else if (['-fprint', '-fprint0', '-fls', '-fprintf'].includes(word.value) && args[i + 1])
      meaning.strictWrites.push({ arg: args[++i]! });
    else if (FIND_TESTS_WITH_VALUE.has(word.value) && args[i + 1]) {
      if (args[++i]!.splits)
        return void (meaning.unknown = `\`find ${word.value}\` takes a value that may split into several words at run time`);
    } else if (word.varies) return void (meaning.unknown = '`find` takes an expression only known at run time');
  }
}

/** `watch [options] command…`: without `-x` the words are joined and run by `sh -c`. */
function watch(args: Arg[], meaning: CommandMeaning): void {
  const { options, first } = scanOptions(args, ['-n', '--interval', '-q', '--equexit']);
  const rest = args.slice(first);
  if (args.slice(0, first).some((arg) => arg.varies)) return void (meaning.unknown = '`watch` takes an option only known at run time');
  if (rest.length === 0) return;
  if (options.some(({ name }) => name === '-x' || name === '--exec'))
    meaning.runs.push({ args: rest, appendsArgs: false, transparent: false, coveredByOuter: true });
  else if (rest.some((arg) => arg.varies)) meaning.unknown = '`watch` runs text only known at run time';
  else meaning.scripts.push({ source: rest.map((arg) => arg.value).join(' '), transparent: false });
}

/** `git -c key=value …` and friends make git run a program named in the option. */
function git(args: Arg[], meaning: CommandMeaning): void {
  const { options, first } = scanOptions(args, ['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--config-env', '--super-prefix']);
  const risky = options.find(({ name, value }) => name === '-c' || name === '--config-env' || (name === '--exec-path' && value));
  if (risky) return void (meaning.unknown = `\`git ${risky.name}\` can make git run any program`);
  const subcommand = args[first]?.value ?? '';
  const rest = args.slice(first + 1);
  for (const arg of rest) {
    if (
      /^--(upload-pack|receive-pack|exec)(=|$)/.test(arg.value) ||
      (arg.value === '-u' && ['clone', 'fetch', 'pull', 'ls-remote', 'archive'].includes(subcommand))
    ) {
      return void (meaning.unknown = `\`git ${subcommand} ${arg.value.split('=')[0]}\` makes git run the program it names`);
    }
    // Settings and a template's hooks for the new repository, in force as it is filled: they can run any program.
    const setsUp = /^--(config|template)(=|$)/.test(arg.value) || (subcommand === 'clone' && /^-[A-Za-z]*c/.test(arg.value));
    if (setsUp && ['clone', 'init'].includes(subcommand))
      return void (meaning.unknown = `\`git ${subcommand} ${arg.value.split('=')[0]}\` gives the new repository settings or hooks that can make git run any program`);
  }
  if (subcommand === 'config') gitConfigWrites(rest, meaning);
}

/** `git config` options that only read. */
const GIT_CONFIG_READS = /^--(get|get-all|get-regexp|get-urlmatch|get-color|get-colorbool|list|blob)(=|$)|^-l$/;
/** `git config` options that change a setting whatever the operands. */
const GIT_CONFIG_CHANGES = /^--(add|unset|unset-all|replace-all|rename-section|remove-section|edit)(=|$)|^-e$/;
/** `git config` options that take a value (the next word, unless given with `=`). */
const GIT_CONFIG_VALUES = ['-f', '--file', '--blob', '--type', '--default', '--comment'];

/**
 * `git config …`: a setting changed is a write of the file it goes to (`.git/config`; `--global` the user's, `--system`
 * the machine's, `--worktree` the worktree's, `-f FILE` that file). Reading one writes nothing.
 */
function gitConfigWrites(args: Arg[], meaning: CommandMeaning): void {
  const operands: Arg[] = [];
  let file: Arg = literalArg('.git/config');
  let reads = false;
  let changes = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = arg.value;
    if (!value.startsWith('-')) operands.push(arg);
    else if (GIT_CONFIG_READS.test(value)) reads = true;
    else if (GIT_CONFIG_CHANGES.test(value)) changes = true;
    else if (value === '--global') file = literalArg('~/.gitconfig');
    else if (value === '--system') file = literalArg('/etc/gitconfig');
    else if (value === '--worktree') file = literalArg('.git/config.worktree');
    else if (value === '-f' || value === '--file') file = args[++i] ?? file;
    else if (value.startsWith('--file=')) file = afterPrefix(arg, '--file=');
    else if (GIT_CONFIG_VALUES.includes(value)) i++;
  }
  // `git config set|unset|…` (git 2.46's subcommands), or `git config KEY VALUE`.
  const verb = operands[0]?.value ?? '';
  if (['set', 'unset', 'rename-section', 'remove-section', 'edit'].includes(verb)) changes = true;
  else if (['get', 'list'].includes(verb)) reads = true;
  if (changes || (!reads && operands.length >= 2)) meaning.writes.push({ arg: file });
}

/** tar runs programs named by some options; extracting writes below the working folder, creating reads its operands. */
function tar(args: Arg[], meaning: CommandMeaning): void {
  const bundle = args[0] && !args[0].value.startsWith('-') ? `-${args[0].value}` : '';
  const short = [bundle, ...args.filter((arg) => /^-[A-Za-z]+$/.test(arg.value)).map((arg) => arg.value)].join(' ');
  const long = args.map((arg) => arg.value.split('=')[0]!);
  const runs = long.find((option) =>
    /^--(to-command|use-compress-program|checkpoint-action|rsh-command|info-script|new-volume-script|rmt-command)$/.test(option),
  );
  if (runs || /[IF]/.test(short)) return void (meaning.unknown = `\`tar ${runs ?? '-I/-F'}\` makes tar run the program it names`);
  if (/x/.test(short) || long.some((option) => ['--extract', '--get'].includes(option)))
    meaning.writes.push({ arg: literalArg('.'), below: true });
  if (/[cru]/.test(short) || long.some((option) => ['--create', '--append', '--update'].includes(option))) {
    meaning.reads.push(...pathOperands(args.slice(bundle ? 1 : 0)).map((arg) => ({ arg, below: true })));
  }
}

function remoteCopy(args: Arg[], meaning: CommandMeaning): void {
  if (refuseSshOptions('scp', args, meaning, ['-S', '-D'])) return;
  meaning.reads.push(
    ...pathOperands(args)
      .filter((arg) => !/^[^/]*:/.test(arg.value))
      .map((arg) => ({ arg, below: true })),
  );
}

/** ssh options that run a local program; true when one was found. */
function refuseSshOptions(name: string, args: Arg[], meaning: CommandMeaning, programOptions: string[] = []): boolean {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    const option = value.startsWith('-o') ? (value === '-o' ? (args[i + 1]?.value ?? '') : value.slice(2)) : '';
    if (/proxycommand|localcommand|knownhostscommand|match/i.test(option) || value === '-F' || programOptions.includes(value)) {
      meaning.unknown = `\`${name} ${value}\` can make ${name} run a local program`;
      return true;
    }
  }
  return false;
}

/** Options that make a program run the program they name; true when one was found. */
function refuse(name: string, args: Arg[], meaning: CommandMeaning, options: string[]): boolean {
  const found = args.find((arg) => options.includes(arg.value.split('=')[0]!));
  if (found) meaning.unknown = `\`${name} ${found.value.split('=')[0]}\` makes ${name} run the program it names`;
  return found !== undefined;
}

/**
 * The operands of a command that takes `SRC… DEST` (or `-t DEST SRC…`), given the options that take a value besides
 * `-t` and `-S`, and its options.
 */
function sourcesAndDestination(args: Arg[], valueOptions: string[]) {
  const { options, operands: found } = scanOptions(args, ['-t', '--target-directory', '-S', '--suffix', ...valueOptions], {
    permute: true,
  });
  const target = options.find(({ name }) => name === '-t' || name === '--target-directory')?.value;
  const sources = found.map((i) => args[i]!);
  return { options, sources, destination: target ?? sources.pop() };
}

/** `cp SRC… DEST` (or `-t DEST SRC…`): the sources are read, the destination is written with what they hold. */
function copyLike(args: Arg[], meaning: CommandMeaning): void {
  const { options, sources, destination } = sourcesAndDestination(args, ['-m', '--mode', '-o', '--owner', '-g', '--group']);
  const below = options.some(({ name }) => ['-r', '-R', '-a', '--recursive', '--archive'].includes(name));
  if (destination) meaning.writes.push({ arg: destination, below, from: sources });
  meaning.reads.push(...sources.map((arg) => ({ arg, below })));
}

/**
 * `mv SRC… DEST` (or `-t DEST SRC…`): a folder moved takes everything in it along, so the sources are written (taken
 * away) below, and the destination below with what they hold. Returns the sources.
 */
function moveTree(args: Arg[], meaning: CommandMeaning): Arg[] {
  const { sources, destination } = sourcesAndDestination(args, []);
  meaning.writes.push(...sources.map((arg) => ({ arg, below: true })));
  if (destination) meaning.writes.push({ arg: destination, below: true, from: sources });
  return sources;
}

/**
 * `ln [-s] TARGET… LINK` (or `-t DIR TARGET…`): the link is another name for its target, a folder's tree included, so
 * its files are written as `mv`'s are — the targets below (what the rules keep from writing under one name they keep
 * under the other: `ln -s .claude x`, then a write of `x/settings.json`), the link below with what they hold — and
 * the targets count as read too.
 */
function link(args: Arg[], meaning: CommandMeaning): void {
  meaning.reads.push(...moveTree(args, meaning).map((arg) => ({ arg })));
}

/** `jq [options] FILTER [FILE…]`: `--slurpfile`/`--rawfile NAME FILE` and `-f FILE` read too; after `--args` operands are strings. */
function jsonQuery(args: Arg[], meaning: CommandMeaning): void {
  const operands: Arg[] = [];
  let filterFromFile = false;
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === '--args' || value === '--jsonargs') break;
    if (value === '--slurpfile' || value === '--rawfile') {
      if (args[i + 2]) meaning.reads.push({ arg: args[i + 2]! });
      i += 2;
    } else if (value === '--arg' || value === '--argjson') i += 2;
    else if (value === '-f' || value === '--from-file') {
      if (args[i + 1]) meaning.reads.push({ arg: args[i + 1]! });
      filterFromFile = true;
      i++;
    } else if (value === '--indent') i++;
    else if (!value.startsWith('-') || value === '-') operands.push(args[i]!);
  }
  meaning.reads.push(...operands.slice(filterFromFile ? 0 : 1).map((arg) => ({ arg })));
}

function testVariables(args: Arg[], meaning: CommandMeaning): void {
  args.forEach((arg, i) => arg.value === '-v' && args[i + 1] && meaning.variableNames.push(args[i + 1]!));
}

/** The files a pattern-first reader names: its operands after the pattern, and the values of its file options. */
function programReaderFiles(spec: ProgramReader, args: Arg[]): { operands: Arg[]; files: Arg[] } {
  const { options, operands: found } = scanOptions(args, [...spec.values, ...spec.files], { permute: true });
  const files = options.filter(({ name, value }) => spec.files.includes(name) && value).map(({ value }) => value!);
  const programGiven = options.some(({ name }) => spec.programOptions.includes(name));
  return { operands: found.slice(programGiven ? 0 : 1).map((i) => args[i]!), files };
}

interface ScannedOption {
  name: string;
  value: Arg | undefined;
}

interface ScanSyntax {
  /** GNU tools: options may follow operands. Without, the first operand ends them (wrappers). */
  permute?: boolean;
  /** Options that take a value only when it is attached (`-i{}`, `--replace=R`). */
  optional?: string[];
  /** `+o name` and `+x` are options too (shells). */
  plus?: boolean;
}

/**
 * Reads getopt-style options: `-abc` bundles, `-kVALUE` / `-k VALUE` for options in `values`,
 * `--name=value` / `--name value`, and `--` ending them. `first` is the index of the first operand.
 */
function scanOptions(
  args: Arg[],
  values: string[],
  syntax: ScanSyntax = {},
): { options: ScannedOption[]; operands: number[]; first: number } {
  const optional = syntax.optional ?? [];
  const takes = (name: string) => values.includes(name) && !optional.includes(name);
  const options: ScannedOption[] = [];
  const operands: number[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i]!.value;
    if (word === '--') {
      i++;
      break;
    }
    if (!/^-./.test(word) && !(syntax.plus && /^\+./.test(word))) {
      if (!syntax.permute) break;
      operands.push(i);
    } else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq === -1 ? word : word.slice(0, eq);
      options.push({ name, value: eq !== -1 ? afterPrefix(args[i]!, `${name}=`) : takes(name) ? args[++i] : undefined });
    } else if (takes(word)) options.push({ name: word, value: args[++i] });
    else {
      for (let k = 1; k < word.length; k++) {
        const name = `${word[0]}${word[k]}`;
        if (!values.includes(name)) {
          options.push({ name, value: undefined });
          continue;
        }
        const attached = k + 1 < word.length;
        options.push({ name, value: attached ? afterPrefix(args[i]!, word.slice(0, k + 1)) : takes(name) ? args[++i] : undefined });
        break;
      }
    }
  }
  for (; i < args.length; i++) operands.push(i);
  return { options, operands, first: operands[0] ?? args.length };
}

/** The option names a command is given (`rm -rf x` → -r, -f). */
function flags(args: Arg[]): Set<string> {
  return new Set(scanOptions(args, [], { permute: true }).options.map((option) => option.name));
}

/** Arguments that may name files: operands, the values of `--opt=value`, and `@file` (curl-like). */
export function pathOperands(args: Arg[]): Arg[] {
  const paths: Arg[] = [];
  let operandsOnly = false;
  for (const arg of args) {
    const value = arg.value;
    if (operandsOnly || !value.startsWith('-') || value === '-') {
      if (value !== '-') paths.push(value.startsWith('@') ? afterPrefix(arg, '@') : arg);
    } else if (value === '--') operandsOnly = true;
    else if (value.includes('=')) paths.push(afterPrefix(arg, value.slice(0, value.indexOf('=') + 1)));
  }
  return paths;
}

function operands(args: Arg[], valueOptions: string[]): Arg[] {
  const { operands: found } = scanOptions(args, valueOptions, { permute: true });
  return found.map((i) => args[i]!);
}

/** The part of a word after a literal prefix (`of=` of `of=out.txt`). */
function afterPrefix(arg: Arg, prefix: string): Arg {
  return {
    ...arg,
    value: arg.value.slice(prefix.length),
    glob: arg.glob.startsWith(prefix) ? arg.glob.slice(prefix.length) : '*',
    fixed: arg.fixed.startsWith(prefix) ? arg.fixed.slice(prefix.length) : '',
  };
}

/** A word whose `marker` (`{}` of find, xargs' `-I` string) is replaced at run time. */
function withHole(arg: Arg, marker: string): Arg {
  return {
    ...arg,
    value: arg.value.split(marker).join(HOLE),
    varies: true,
    glob: arg.glob.split(marker).join('*'),
    fixed: arg.fixed.split(marker)[0]!,
  };
}
