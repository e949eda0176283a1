import { describe, expect, it } from 'vitest';
import { literalArg } from './shellWord.ts';
import { awkProblem, sedProblem } from './toolScripts.ts';

const args = (...words: string[]) => words.map(literalArg);

describe('sed scripts', () => {
  it.each([
    [['-n', '1,5p', 'f']],
    [['s/a/b/g', 'f']],
    [['-E', 's|/usr/(bin)|\\1|2', 'f']],
    [['-e', '/^#/d', '-e', 's/x/y/', 'f']],
    [['-i.bak', 's/version = .*/version = 2/', 'pyproject.toml']],
    [['/start/,/end/{s/a/b/;p}', 'f']],
    [['y/abc/xyz/', 'f']],
    [['$a\\', 'f']],
    [[':a;N;$!ba;s/\\n/ /g', 'f']],
    [['-n', '/x/{p;q}', 'f']],
  ])('%j is plain text editing', (words) => {
    expect(sedProblem(args(...words))).toBeNull();
  });

  it.each([
    [['s/x/y/e', 'f'], 'runs a command'],
    [['s/x/y/gw out', 'f'], 'writes a file'],
    [['1e rm -rf x', 'f'], 'runs a command'],
    [['w out', 'f'], 'reads or writes a file'],
    [['/x/W out', 'f'], 'reads or writes a file'],
    [['r /etc/shadow', 'f'], 'reads or writes a file'],
    [['-f', 'script.sed', 'f'], 'script file'],
    [['s/a', 'f'], 'cannot read'],
    [['k', 'f'], 'does not know'],
  ])('%j is refused (%s)', (words, why) => {
    expect(sedProblem(args(...words))).toContain(why);
  });

  it('a script only known at run time is refused', () => {
    expect(sedProblem([{ ...literalArg('x'), varies: true }, literalArg('f')])).toContain('only known at run time');
  });
});

describe('awk programs', () => {
  it.each([['{print $1}'], ['-F:', '$3 > 100 {print $1}'], ['-v', 'n=3', 'NR <= n'], ['BEGIN { FS = "," } { s += $2 } END { print s }']])(
    '%j only reads and prints',
    (...words) => {
      expect(awkProblem(args(...words))).toBeNull();
    },
  );

  it.each([
    [['BEGIN{system("rm x")}'], 'system'],
    [['{ "date" | getline d }'], 'system, getline'],
    [['{print | "sh"}'], 'pipes'],
    [['{print > "out"}'], 'writes to a file'],
    [['-f', 'prog.awk'], 'program file'],
    [['@load "filefuncs"'], 'system, getline'],
  ])('%j is refused (%s)', (words, why) => {
    expect(awkProblem(args(...words))).toContain(why);
  });
});
