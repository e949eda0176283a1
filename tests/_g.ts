import { decide, roleRulesSchema } from '@mission/contracts';
const ctx = { cwd: '/w', home: '/home/a' };
const role = roleRulesSchema.parse({ allow: ['Edit', 'Read', 'Bash(git status:*)', 'Bash(echo:*)'] });
for (const [tool, input] of [
  ['Write', { file_path: '.git/config', content: '[core]\n\tfsmonitor = touch /tmp/x' }],
  ['Write', { file_path: '.git/hooks/pre-commit', content: 'x' }],
  ['Edit', { file_path: '.git/config', old_string: 'a', new_string: 'b' }],
  ['Bash', { command: 'echo "[core] fsmonitor=evil" >> .git/config' }],
  ['Write', { file_path: '.gitattributes', content: '* filter=x' }],
  ['Write', { file_path: '/home/a/.gitconfig', content: 'x' }],
] as const) {
  const d = decide(role, { tool, input: input as never }, ctx);
  console.log(tool, JSON.stringify(input).slice(0, 50).padEnd(52), '=>', d.verdict, (d.reason ?? d.rule ?? '').slice(0, 100));
}
