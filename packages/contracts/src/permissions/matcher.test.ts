import { describe, expect, it } from 'vitest';
import { allowsAnyCommand, decide } from './matcher.ts';
import { parseRule, type RoleRules, roleRulesSchema } from './rules.ts';

const context = { cwd: '/work/app', home: '/home/agent' };
const role = (rules: Partial<RoleRules>): RoleRules => roleRulesSchema.parse(rules);
const bash = (command: string) => ({ tool: 'Bash', input: { command } });
const file = (tool: string, file_path: string) => ({ tool, input: { file_path } });

describe('permission matcher', () => {
  const developer = role({
    allow: ['Bash(npm test:*)', 'Bash(echo *)', 'Read', 'Edit(src/**)', 'WebFetch(domain:example.com)', 'mcp__docs'],
    confirm: ['Bash(git push:*)', 'Edit(src/secrets/**)'],
    deny: ['Bash(rm -rf*)', 'Read(*.env)', 'Edit(//etc/**)', 'mcp__docs__delete'],
  });

  it('deny beats confirm beats allow; no match is confirm', () => {
    expect(decide(developer, bash('npm test'), context)).toEqual({ verdict: 'allow', rule: 'Bash(npm test:*)' });
    expect(decide(developer, bash('npm test -- --watch'), context)).toEqual({ verdict: 'allow', rule: 'Bash(npm test:*)' });
    expect(decide(developer, bash('npm testing'), context)).toEqual({ verdict: 'confirm', rule: null });
    expect(decide(developer, bash('git push origin main'), context)).toEqual({ verdict: 'confirm', rule: 'Bash(git push:*)' });
    expect(decide(developer, bash('rm -rf build'), context)).toEqual({ verdict: 'deny', rule: 'Bash(rm -rf*)' });
    expect(decide(developer, file('Edit', 'src/secrets/key.ts'), context)).toEqual({ verdict: 'confirm', rule: 'Edit(src/secrets/**)' });
    const both = role({ allow: ['Bash'], deny: ['Bash(curl *)'], confirm: ['Bash(curl *)'] });
    expect(decide(both, bash('curl http://x'), context).verdict).toBe('deny');
    expect(decide(both, bash('ls'), context)).toEqual({ verdict: 'allow', rule: 'Bash' });
    expect(decide(role({}), bash('ls'), context)).toEqual({ verdict: 'confirm', rule: null });
  });

  it('a chained command takes the strictest answer of its parts', () => {
    expect(decide(developer, bash('echo ok && rm -rf /'), context)).toEqual({ verdict: 'deny', rule: 'Bash(rm -rf*)' });
    expect(decide(developer, bash('npm test; git push'), context)).toEqual({ verdict: 'confirm', rule: 'Bash(git push:*)' });
    expect(decide(developer, bash('echo a | echo b'), context)).toEqual({ verdict: 'allow', rule: 'Bash(echo *)' });
    expect(decide(developer, bash("echo 'a && rm -rf x'"), context).verdict).toBe('allow');
    // The shell analysis replaced the splitter: the same separators, read by a parser (`2>&1` is no separator, quoted and escaped `;` are text).
    expect(decide(developer, bash('echo 2>&1 | echo log & rm -rf x\nls'), context)).toEqual({ verdict: 'deny', rule: 'Bash(rm -rf*)' });
    expect(decide(developer, bash('echo "a;b" || echo c\\;d'), context)).toEqual({ verdict: 'allow', rule: 'Bash(echo *)' });
    expect(decide(developer, bash('echo ok\nrm -rf x'), context)).toEqual({ verdict: 'deny', rule: 'Bash(rm -rf*)' });
  });

  it('file rules are gitignore-style paths read against the working folder', () => {
    expect(decide(developer, file('Write', '/work/app/src/new/file.ts'), context)).toEqual({ verdict: 'allow', rule: 'Edit(src/**)' });
    expect(decide(developer, file('MultiEdit', 'src/a.ts'), context).verdict).toBe('allow');
    expect(decide(developer, file('Edit', 'README.md'), context)).toEqual({ verdict: 'confirm', rule: null });
    expect(decide(developer, file('Edit', '/work/app/src/../../other/src/x.ts'), context)).toEqual({ verdict: 'confirm', rule: null });
    expect(decide(developer, file('Write', '/etc/passwd'), context)).toEqual({ verdict: 'deny', rule: 'Edit(//etc/**)' });
    expect(decide(developer, file('Read', 'deep/down/.env'), context)).toEqual({ verdict: 'deny', rule: 'Read(*.env)' });
    expect(decide(developer, file('Read', 'notes.txt'), context)).toEqual({ verdict: 'allow', rule: 'Read' });
    const home = role({ allow: ['Read(~/docs/**)', 'Edit(/src)'] });
    expect(decide(home, file('Read', '/home/agent/docs/a/b.md'), context).verdict).toBe('allow');
    expect(decide(home, file('Edit', 'src/inside.ts'), context).verdict).toBe('allow');
    expect(decide(home, file('Edit', 'srcfoo.ts'), context).verdict).toBe('confirm');
  });

  it('domains, MCP servers and tools without a specifier', () => {
    expect(decide(developer, { tool: 'WebFetch', input: { url: 'https://docs.example.com/a' } }, context).verdict).toBe('allow');
    expect(decide(developer, { tool: 'WebFetch', input: { url: 'https://example.com.evil.io/' } }, context).verdict).toBe('confirm');
    expect(decide(developer, { tool: 'WebFetch', input: { url: 'not a url' } }, context).verdict).toBe('confirm');
    expect(decide(developer, { tool: 'mcp__docs__search', input: {} }, context)).toEqual({ verdict: 'allow', rule: 'mcp__docs' });
    expect(decide(developer, { tool: 'mcp__docs__delete', input: {} }, context)).toEqual({ verdict: 'deny', rule: 'mcp__docs__delete' });
    expect(decide(developer, { tool: 'mcp__docsx__search', input: {} }, context).verdict).toBe('confirm');
    expect(decide(developer, { tool: 'WebSearch', input: { query: 'x' } }, context).verdict).toBe('confirm');
  });

  it('rejects rules that are not in Claude Code syntax, saying why', () => {
    expect(parseRule('Bash(npm test:*)')).toEqual({ text: 'Bash(npm test:*)', tool: 'Bash', specifier: 'npm test:*' });
    for (const bad of ['', 'Bash(', 'Bash()', '(x)', 'rm -rf', 'mcp__a__b(x)', 'WebFetch(domain:a b)', 'x'.repeat(2_000)]) {
      expect(parseRule(bad)).toHaveProperty('problem');
    }
    const parsed = roleRulesSchema.safeParse({ deny: ['Bash('] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('is not a rule');
    expect(roleRulesSchema.safeParse({ allow: ['Read'], extra: 1 }).success).toBe(false);
  });
});

describe('allowsAnyCommand', () => {
  it.each<[Partial<RoleRules>, boolean]>([
    [{ allow: ['Bash'] }, true],
    [{ allow: ['Bash(*)', 'WebFetch'], deny: ['WebFetch(domain:evil.example)'] }, true],
    [{ allow: ['Bash'], deny: ['Bash(rm:*)'] }, false],
    [{ allow: ['Bash'], deny: ['Read(*.env)'] }, false],
    [{ allow: ['Bash'], confirm: ['Edit'] }, false],
    [{ allow: ['Bash(echo:*)'] }, false],
    [{}, false],
  ])('%j → %s', (rules, expected) => {
    expect(allowsAnyCommand(role(rules))).toBe(expected);
  });
});
