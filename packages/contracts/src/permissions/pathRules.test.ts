import { describe, expect, it } from 'vitest';
import { globsIntersect, pathMatches, ruleGlobs } from './pathRules.ts';

const context = { cwd: '/work/app', home: '/home/agent' };

describe('path rules', () => {
  it.each([
    ['*.env', '/work/app/deep/app.env', true],
    ['*.env', '/work/app/.env', true],
    ['*.env', '/work/app/env.txt', false],
    ['//etc/**', '/etc/ssh/sshd_config', true],
    ['//etc/**', '/work/etc/x', false],
    ['~/.ssh/**', '/home/agent/.ssh/id_rsa', true],
    ['/src/**/*.ts', '/work/app/src/a/b.ts', true],
    ['./secrets/**', '/work/app/secrets/key', true],
    ['secrets', '/work/app/secrets/key', true],
    ['secrets', '/work/app/deep/secrets/key', true],
    ['secrets', '/work/app/secretsx/key', false],
    ['src/**', '/work/other/src/x.ts', false],
  ])('%s covers %s: %s', (pattern, file, expected) => {
    expect(pathMatches(pattern, file, context)).toBe(expected);
  });

  it('a rule as absolute globs: itself and what is inside it', () => {
    expect(ruleGlobs('*.env', context)).toEqual(['*/*.env', '*/*.env/*']);
    expect(ruleGlobs('//etc/**', context)).toEqual(['/etc/**', '/etc/**/*']);
    expect(ruleGlobs('~/.ssh/*', context)).toEqual(['/home/agent/.ssh/*', '/home/agent/.ssh/*/*']);
    expect(ruleGlobs('/src', context)).toEqual(['/work/app/src', '/work/app/src/*']);
  });

  it.each([
    ['/work/app/*', '*/*.env', true],
    ['/work/app/*.ts', '*/*.env', false],
    ['/work/app/src/*', '/etc/**', false],
    ['*/shadow', '/etc/**', true],
    ['/work/app/a?c', '/work/app/abc', true],
    ['/work/app/a?c', '/work/app/abd', false],
    ['/x/*/y', '/x/a/b/y', true],
    ['', '', true],
    ['a', '', false],
  ])('%s and %s share a path: %s', (a, b, expected) => {
    expect(globsIntersect(a, b)).toBe(expected);
    expect(globsIntersect(b, a)).toBe(expected);
  });

  it('answers yes (the safe side) when the globs are too long to compare', () => {
    expect(globsIntersect('a'.repeat(3_000), 'b')).toBe(true);
  });
});
