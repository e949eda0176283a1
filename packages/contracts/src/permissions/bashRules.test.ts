import { describe, expect, it } from 'vitest';
import { bashPattern, HOLE } from './bashRules.ts';
import { decide } from './matcher.ts';
import { roleRulesSchema } from './rules.ts';

/**
 * Claude Code's documented semantics of Bash rules ("Configure permissions"): exact commands, the
 * legacy `:*` prefix, `*` wildcards anywhere with the space before a trailing `*` as a word boundary,
 * compound commands decided part by part, deny before ask before allow whatever the specificity,
 * process wrappers (`timeout`, `nice`, `nohup`…) looked through.
 */
const context = { cwd: '/work/app', home: '/home/agent' };
const allowedBy = (rule: string, command: string) =>
  decide(roleRulesSchema.parse({ allow: [rule] }), { tool: 'Bash', input: { command } }, context).verdict === 'allow';

describe('Claude Code Bash rule semantics', () => {
  it.each([
    ['npm run build', 'npm run build', true],
    ['npm run build', 'npm run build --prod', false],
    ['npm run build', 'npm run buildx', false],
    ['npm run build', '  npm   run build ', true],
    ['npm run test:*', 'npm run test', true],
    ['npm run test:*', 'npm run test -- --watch', true],
    ['npm run test:*', 'npm run testing', false],
    ['npm run test:*', 'npm run test:unit', false],
    ['npm:*', 'npm install', true],
    ['npm:*', 'npmx install', false],
    ['npm run *', 'npm run lint', true],
    ['npm run *', 'npm run', true],
    ['npm run *', 'npm runx', false],
    ['ls *', 'ls', true],
    ['ls *', 'ls -la', true],
    ['ls *', 'lsof', false],
    ['ls*', 'lsof', true],
    ['ls*', 'ls', true],
    ['git * main', 'git checkout main', true],
    ['git * main', 'git push origin main', true],
    ['git * main', 'git push origin dev', false],
    ['* --version', 'node --version', true],
    ['* --version', 'node --help', false],
    ['* install', 'pnpm install', true],
    ['*', 'anything at all', true],
    ['echo \\*', "echo '*'", true],
    ['echo \\*', 'echo hi', false],
    ['ls ?', 'ls x', false],
    // 2.1.331 reads `prefix:*` as `prefix` or `prefix <more>` (its bundled matcher), so the older docs' URL example needs a space.
    ['curl http://site.com/:*', 'curl http://site.com/ -o page', true],
    ['curl http://site.com/:*', 'curl http://site.com/a', false],
    ['curl http://site.com/ *', 'curl -X GET http://site.com/a', false],
    ['safe-cmd:*', 'safe-cmd && other-cmd', false],
    ['safe-cmd:*', 'safe-cmd; other-cmd', false],
    ['npm test:*', 'timeout 30 npm test', true],
    ['npm test:*', 'nohup npm test', true],
    ['npm test:*', 'nice -n 10 npm test', true],
    ['npm test:*', 'time npm test', true],
    ['npm test:*', 'FOO=1 npm test', false],
  ])('Bash(%s) allows `%s`: %s', (rule, command, expected) => {
    expect(allowedBy(`Bash(${rule})`, command)).toBe(expected);
  });

  it('a bare `Bash` or `Bash(*)` is every command', () => {
    expect(allowedBy('Bash', 'rm -rf build && make')).toBe(true);
    expect(allowedBy('Bash(*)', 'rm -rf build && make')).toBe(true);
  });

  it('deny, then ask, then allow: specificity does not change the order', () => {
    const rules = roleRulesSchema.parse({
      allow: ['Bash(aws s3 ls)', 'Bash(git *)'],
      confirm: ['Bash(git push *)'],
      deny: ['Bash(aws *)'],
    });
    const verdict = (command: string) => decide(rules, { tool: 'Bash', input: { command } }, context);
    expect(verdict('aws s3 ls')).toEqual({ verdict: 'deny', rule: 'Bash(aws *)' });
    expect(verdict('git push origin main')).toEqual({ verdict: 'confirm', rule: 'Bash(git push *)' });
    expect(verdict('git log')).toEqual({ verdict: 'allow', rule: 'Bash(git *)' });
  });

  it('a compound command needs every part allowed', () => {
    const rules = roleRulesSchema.parse({ allow: ['Bash(npm test:*)', 'Bash(git status)'] });
    const verdict = (command: string) => decide(rules, { tool: 'Bash', input: { command } }, context).verdict;
    expect(verdict('git status && npm test')).toBe('allow');
    expect(verdict('git status && npm publish')).toBe('confirm');
    expect(verdict('npm test | tee log')).toBe('confirm');
  });

  it('a run-time part of a command is matched only by a star', () => {
    expect(bashPattern('echo *').matches(`echo ${HOLE}`)).toBe(true);
    expect(bashPattern('echo:*').matches(`echo ${HOLE}`)).toBe(true);
    expect(bashPattern('echo hi').matches(`echo ${HOLE}`)).toBe(false);
    expect(bashPattern('rm -rf /').mayMatchFrom('rm -rf ')).toBe(true);
    expect(bashPattern('rm -rf /').mayMatchFrom('rm -f ')).toBe(false);
    expect(bashPattern('rm:*').mayMatchFrom('rm -rf ')).toBe(true);
    expect(bashPattern('rm:*').mayMatchFrom('echo ')).toBe(false);
    expect(bashPattern('git * main').mayMatchFrom('git push ')).toBe(true);
    expect(bashPattern('*').mayMatchFrom('anything')).toBe(true);
  });
});
