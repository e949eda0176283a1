import { describe, expect, it } from 'vitest';
import { decide, type PolicyDecision } from './matcher.ts';
import { roleRulesSchema } from './rules.ts';

/**
 * An agent whose role lets it edit files, and run a few commands, must not grant itself more in the next claude
 * started there by writing Claude Code's own settings (seen on 2.1.331: a Write of `.claude/settings.local.json`
 * allowing `Bash(touch:*)` was allowed by the role's `Edit`, and the next session and task ran `touch` unasked).
 */
const context = { cwd: '/work/app', home: '/home/agent' };
const editor = roleRulesSchema.parse({ allow: ['Edit', 'Bash(echo:*)', 'Bash(cp:*)', 'Bash(rm:*)', 'Bash(tee:*)'] });
const write = (file_path: string, rules = editor): PolicyDecision =>
  decide(rules, { tool: 'Write', input: { file_path, content: '{}' } }, context);
const bash = (command: string, rules = editor): PolicyDecision => decide(rules, { tool: 'Bash', input: { command } }, context);
const asked = (shown: string) => ({
  verdict: 'confirm',
  rule: null,
  reason: `it writes ${shown}, part of Claude Code's own configuration (its settings, skills, commands and agents say what claude may run without asking, and what it runs by itself): a person decides`,
});

describe("Claude Code's own settings are never written by an allow rule", () => {
  it('the file tools: the settings of the project, of any folder, of the home, its config, MCP servers, managed settings', () => {
    for (const file of [
      '.claude/settings.local.json',
      '.claude/settings.json',
      '/work/other/.claude/settings.json',
      '~/.claude/settings.json',
      '/home/agent/.claude.json',
      '.mcp.json',
      '/etc/claude-code/managed-settings.json',
      'src/../.claude/settings.local.json',
      // Skills, commands and agents: their allowed-tools run unasked while one is in use.
      '.claude/skills/deploy/SKILL.md',
      '.claude/commands/deploy.md',
      '~/.claude/agents/helper.md',
      '/work/other/.claude/skills/x/scripts/run.sh',
    ])
      expect(write(file), file).toEqual(asked(file));
    expect(
      decide(editor, { tool: 'Edit', input: { file_path: '.claude/settings.json', old_string: 'a', new_string: 'b' } }, context),
    ).toEqual(asked('.claude/settings.json'));
    // Other files of the folder, its other .claude files (its memory, output styles), and reading the settings: as the rules say.
    for (const file of [
      'src/app.ts',
      '.claude/CLAUDE.md',
      '.claude/output-styles/terse.md',
      'settings.json',
      'skills/x/SKILL.md',
      '.claude-notes.json',
    ])
      expect(write(file), file).toEqual({ verdict: 'allow', rule: 'Edit' });
    expect(decide(editor, { tool: 'Read', input: { file_path: '.claude/settings.json' } }, context).verdict).toBe('confirm');
  });

  it('a deny rule still denies, and an ask rule still asks', () => {
    expect(write('.claude/settings.json', roleRulesSchema.parse({ allow: ['Edit'], deny: ['Edit(.claude/**)'] }))).toEqual({
      verdict: 'deny',
      rule: 'Edit(.claude/**)',
    });
    expect(write('.mcp.json', roleRulesSchema.parse({ allow: ['Edit'], confirm: ['Edit(.mcp.json)'] }))).toEqual({
      verdict: 'confirm',
      rule: 'Edit(.mcp.json)',
    });
  });

  it('commands: redirections, tee and copies into the settings, or into a folder that holds them; not other writes', () => {
    expect(bash(`echo '{"permissions":{"allow":["Bash(touch:*)"]}}' > .claude/settings.local.json`)).toEqual(
      asked('.claude/settings.local.json'),
    );
    expect(bash('echo x | tee ~/.claude/settings.json')).toEqual(asked('~/.claude/settings.json'));
    expect(bash('cp payload.json .mcp.json')).toEqual(asked('.mcp.json'));
    expect(bash('cp -r payload/. .').verdict).toBe('confirm');
    expect(bash('cp -r payload/.claude ~').verdict).toBe('confirm');
    expect(bash('rm -rf /work/other/.claude').verdict).toBe('confirm');
    expect(bash('cd sub && echo x > settings.local.json').verdict).toBe('confirm');
    expect(bash('echo x > notes.txt')).toEqual({ verdict: 'allow', rule: 'Bash(echo:*)' });
    expect(bash('rm -rf build')).toEqual({ verdict: 'allow', rule: 'Bash(rm:*)' });
    expect(bash('cp -r src out')).toEqual({ verdict: 'allow', rule: 'Bash(cp:*)' });
  });

  // Each allowed before: a folder moved or synced into place is the files it holds.
  it('a folder moved or synced into a .claude folder, or to become one', () => {
    const mover = roleRulesSchema.parse({ allow: ['Bash(mv:*)', 'Bash(cp:*)', 'Bash(rsync:*)'], deny: ['Edit(secret/**)'] });
    expect(bash('mv payload .claude', mover)).toEqual(asked('.claude'));
    expect(bash('mv payload sub/.claude/skills', mover)).toEqual(asked('sub/.claude/skills'));
    expect(bash('mv -t .claude/commands payload', mover)).toEqual(asked('.claude/commands'));
    expect(bash('cp -r payload sub/.claude/skills', mover)).toEqual(asked('sub/.claude/skills'));
    expect(bash('rsync -a payload/ ~/.claude/', mover)).toEqual(asked('~/.claude/'));
    // rsync's destination is a write: the role's deny rules for writes hold there too.
    expect(bash('rsync -a payload/ secret/', mover)).toEqual({ verdict: 'deny', rule: 'Edit(secret/**)' });
    expect(bash('rsync -a secret/ /tmp/copy', mover)).toEqual({ verdict: 'allow', rule: 'Bash(rsync:*)' });
    expect(bash('mv notes.txt /tmp/notes.txt', mover)).toEqual({ verdict: 'allow', rule: 'Bash(mv:*)' });
  });

  // Seen on 2.1.332: a skill in sub/.claude/skills loaded once claude read a file in sub, and ran `touch` unasked.
  it('a tree brought from elsewhere below the working folder may carry a .claude folder: a person decides; one moved within it adds nothing', () => {
    const mover = roleRulesSchema.parse({ allow: ['Bash(mv:*)', 'Bash(cp:*)', 'Bash(rsync:*)', 'Bash(ln:*)', 'Bash(rm:*)'] });
    const tree = (shown: string) => ({
      verdict: 'confirm',
      rule: null,
      reason: `it puts a tree in ${shown}, below the working folder, where a .claude folder it may carry is Claude Code's own configuration (skills there load once claude works in that folder, and say what it may run without asking): a person decides`,
    });
    expect(bash('cp -r /tmp/unpacked vendor/lib', mover)).toEqual(tree('vendor/lib'));
    expect(bash('mv ~/downloads/lib vendor', mover)).toEqual(tree('vendor'));
    expect(bash('rsync -a /tmp/unpacked/ vendor/', mover)).toEqual(tree('vendor/'));
    expect(bash('ln -s /tmp/unpacked vendor/lib', mover)).toEqual(tree('vendor/lib'));
    expect(bash('cp -r ../other/lib vendor', mover)).toEqual(tree('vendor'));
    expect(bash('cp -r "$SRC" vendor', mover)).toEqual(tree('vendor'));
    // Within the working folder, and out of it: nothing claude could not load already.
    expect(bash('mv old.ts new.ts', mover)).toEqual({ verdict: 'allow', rule: 'Bash(mv:*)' });
    expect(bash('cp -r src/lib vendor/lib', mover)).toEqual({ verdict: 'allow', rule: 'Bash(cp:*)' });
    expect(bash('cp -r /tmp/unpacked /tmp/other', mover)).toEqual({ verdict: 'allow', rule: 'Bash(cp:*)' });
    expect(bash('rm -r vendor', mover)).toEqual({ verdict: 'allow', rule: 'Bash(rm:*)' });
    // A .claude folder itself, moved away or removed, is still the configuration.
    expect(bash('rm -r vendor/.claude', mover)).toEqual(asked('vendor/.claude'));
    expect(bash('mv .claude /tmp/kept', mover)).toEqual(asked('.claude'));
    expect(bash('ln -s /tmp/unpacked/.claude .claude', mover)).toEqual(asked('/tmp/unpacked/.claude'));
    // A link is another name for its target: writes through it reach the target (each allowed before).
    expect(bash('ln -s .claude notes', mover)).toEqual(asked('.claude'));
    expect(bash('ln -s ~/.claude/settings.json prefs.json', mover)).toEqual(asked('~/.claude/settings.json'));
    expect(bash('ln -s secret s', roleRulesSchema.parse({ allow: ['Bash(ln:*)'], deny: ['Edit(secret/**)'] }))).toEqual({
      verdict: 'deny',
      rule: 'Edit(secret/**)',
    });
    // A link is another name for what it shows: the rules that keep a file from being read hold for its target.
    const keeper = roleRulesSchema.parse({ allow: ['Bash(ln:*)'], deny: ['Read(*.env)'] });
    expect(bash('ln -s .env notes.txt', keeper)).toEqual({ verdict: 'deny', rule: 'Read(*.env)' });
  });

  it("the agent's CLI folder moved by CLAUDE_CONFIG_DIR: its settings, whatever the folder's name", () => {
    const moved = { ...context, claudeDir: '/srv/slots/a/claude-config' };
    const writeThere = (file_path: string) => decide(editor, { tool: 'Write', input: { file_path, content: '{}' } }, moved);
    const bashThere = (command: string) => decide(editor, { tool: 'Bash', input: { command } }, moved);
    expect(writeThere('/srv/slots/a/claude-config/settings.json')).toEqual(asked('/srv/slots/a/claude-config/settings.json'));
    expect(writeThere('/srv/slots/a/claude-config/.claude.json')).toEqual(asked('/srv/slots/a/claude-config/.claude.json'));
    expect(writeThere('/srv/slots/a/claude-config/skills/x/SKILL.md').verdict).toBe('confirm');
    expect(bashThere('echo x > /srv/slots/a/claude-config/settings.json').verdict).toBe('confirm');
    expect(bashThere('cp -r payload/. /srv/slots/a/claude-config').verdict).toBe('confirm');
    expect(bashThere('rm -rf /srv/slots/a').verdict).toBe('confirm');
    // Without it, the same folder is any other; its other files are as the rules say.
    expect(write('/srv/slots/a/claude-config/settings.json')).toEqual({ verdict: 'allow', rule: 'Edit' });
    expect(writeThere('/srv/slots/a/claude-config/CLAUDE.md')).toEqual({ verdict: 'allow', rule: 'Edit' });
  });

  it('a role that allows every command can write anything: it is not asked about the settings either', () => {
    const shell = roleRulesSchema.parse({ allow: ['Bash'] });
    expect(bash('echo x > .claude/settings.local.json', shell)).toEqual({ verdict: 'allow', rule: 'Bash' });
  });
});

/**
 * Git's own configuration makes git run programs: tried, a `core.fsmonitor` written into `.git/config` ran on the next
 * `git status`, which the shipped default role allows. An agent allowed to edit files must not write it unasked.
 */
describe("git's own configuration and hooks are never written by an allow rule", () => {
  const gitAsked = (shown: string) => ({
    verdict: 'confirm',
    rule: null,
    reason: `it writes ${shown}, part of git's own configuration (its settings and hooks make git run programs, which a git command the role allows would run unasked): a person decides`,
  });

  it('the file tools and commands: a repository’s .git, the user’s and the system’s git settings', () => {
    for (const file of [
      '.git/config',
      '.git/hooks/pre-commit',
      'sub/.git/config',
      // A `.git` file names the folder git takes its settings and hooks from ("gitdir: /tmp/elsewhere").
      'sub/.git',
      '~/.gitconfig',
      '~/.config/git/config',
      '/etc/gitconfig',
    ])
      expect(write(file), file).toEqual(gitAsked(file));
    expect(bash('echo "[core] fsmonitor = evil" >> .git/config')).toEqual(gitAsked('.git/config'));
    expect(bash('cp hook .git/hooks/post-checkout')).toEqual(gitAsked('.git/hooks/post-checkout'));
    expect(bash('echo "gitdir: /tmp/elsewhere" > sub/.git')).toEqual(gitAsked('sub/.git'));
    expect(bash('cp -r /tmp/repo/.git .')).toMatchObject({ verdict: 'confirm', rule: null });
    // Files beside it are as the rules say.
    for (const file of ['.gitignore', '.gitattributes', 'src/git/config.ts'])
      expect(write(file), file).toEqual({ verdict: 'allow', rule: 'Edit' });
  });

  it("git's own commands that change its settings, or give a new repository settings or hooks", () => {
    const gitter = roleRulesSchema.parse({ allow: ['Bash(git config:*)', 'Bash(git clone:*)', 'Bash(git init:*)'] });
    expect(bash('git config core.fsmonitor "touch x"', gitter)).toEqual(gitAsked('.git/config'));
    expect(bash('git config --global core.pager evil', gitter)).toEqual(gitAsked('~/.gitconfig'));
    expect(bash('git config set --system alias.st "!touch x"', gitter)).toEqual(gitAsked('/etc/gitconfig'));
    expect(bash('git config --unset core.hooksPath', gitter)).toEqual(gitAsked('.git/config'));
    for (const reading of ['git config --get user.name', 'git config -l', 'git config user.name', 'git config get user.name'])
      expect(bash(reading, gitter), reading).toEqual({ verdict: 'allow', rule: 'Bash(git config:*)' });
    // Tried with git 2.39: both ran a program of the agent's as the clone was made.
    for (const [command, option] of [
      ['git clone -c core.sshCommand="touch x" ssh://host/repo', '-c'],
      ['git clone --config=core.sshCommand=evil ssh://host/repo', '--config'],
      ['git clone --template=/tmp/t https://host/repo', '--template'],
      ['git init --template /tmp/t fresh', '--template'],
    ] as const)
      expect(bash(command, gitter), command).toMatchObject({
        verdict: 'confirm',
        reason: expect.stringContaining(`\`git ${command.split(' ')[1]} ${option}\``),
      });
    expect(bash('git clone https://host/repo /tmp/repo', gitter)).toEqual({ verdict: 'allow', rule: 'Bash(git clone:*)' });
  });

  it('a deny rule still denies; a role that allows every command is not asked', () => {
    expect(write('.git/config', roleRulesSchema.parse({ allow: ['Edit'], deny: ['Edit(.git/**)'] }))).toEqual({
      verdict: 'deny',
      rule: 'Edit(.git/**)',
    });
    expect(bash('echo x >> .git/config', roleRulesSchema.parse({ allow: ['Bash'] }))).toEqual({ verdict: 'allow', rule: 'Bash' });
  });
});

/**
 * The shell's startup files: Claude Code's Bash tool takes their aliases and functions (seen on 2.1.332: a `ls`
 * function in `~/.bashrc` ran when the next task ran `ls`, which its role allowed). And Claude Code's plugins, which
 * carry hooks, skills, commands and agents.
 */
describe("the shell's startup files, ssh's settings and Claude Code's plugins are never written by an allow rule", () => {
  it('the home’s shell startup files, by the file tools or a command; other folders’ are files like any other', () => {
    const shellAsked = (shown: string) => ({
      verdict: 'confirm',
      rule: null,
      reason: `it writes ${shown}, one of the shell's startup files (claude's Bash tool takes the aliases and functions they define, so a command the role allows would run what they say unasked): a person decides`,
    });
    for (const file of ['~/.bashrc', '~/.bash_profile', '~/.profile', '~/.bash_aliases', '/home/agent/.zshrc'])
      expect(write(file), file).toEqual(shellAsked(file));
    expect(bash("echo 'ls() { touch x; }' >> ~/.bashrc")).toEqual(shellAsked('~/.bashrc'));
    expect(bash('cp -r /tmp/dotfiles/. ~').verdict).toBe('confirm');
    expect(write('dotfiles/.bashrc')).toEqual({ verdict: 'allow', rule: 'Edit' });
  });

  it("ssh's settings and keys in the home: its config runs programs on each connection (ProxyCommand)", () => {
    const sshAsked = (shown: string) => ({
      verdict: 'confirm',
      rule: null,
      reason: `it writes ${shown}, part of ssh's own configuration (its settings run programs on each connection, a git command the role allows included, and its keys say who may log in): a person decides`,
    });
    expect(write('~/.ssh/config')).toEqual(sshAsked('~/.ssh/config'));
    expect(bash("echo 'ProxyCommand touch x' >> ~/.ssh/config")).toEqual(sshAsked('~/.ssh/config'));
    expect(write('deploy/ssh/config')).toEqual({ verdict: 'allow', rule: 'Edit' });
  });

  it('a tree over a folder that holds such files by their absolute path', () => {
    expect(bash('cp -r /tmp/payload/. /etc').verdict).toBe('confirm');
    expect(bash('cp -r /tmp/payload/. /home/agent').verdict).toBe('confirm');
  });

  it('a plugin’s files', () => {
    expect(write('~/.claude/plugins/marketplaces/x/hooks/hooks.json')).toEqual(asked('~/.claude/plugins/marketplaces/x/hooks/hooks.json'));
  });
});

/** A file named through a link on the disk (the worker resolves it: `MatchContext.realPath`) is decided under both names. */
describe('a link already on the disk', () => {
  // As if `notes` were a link to the working folder's `.claude`, and `s` one to `secret`.
  const linked = {
    ...context,
    realPath: (file: string) =>
      file.replace(/^\/work\/app\/notes(?=\/|$)/, '/work/app/.claude').replace(/^\/work\/app\/s(?=\/|$)/, '/work/app/secret'),
  };
  const keeper = roleRulesSchema.parse({
    allow: ['Edit', 'Read', 'Bash(echo:*)', 'Bash(cat:*)'],
    deny: ['Edit(secret/**)', 'Read(secret/**)'],
  });

  it('the file tools: the stricter of the two verdicts, saying it goes through a link', () => {
    expect(decide(keeper, { tool: 'Write', input: { file_path: 'notes/settings.local.json', content: '{}' } }, linked)).toEqual({
      verdict: 'confirm',
      rule: null,
      reason: `it goes through a link to /work/app/.claude/settings.local.json: ${asked('/work/app/.claude/settings.local.json').reason}`,
    });
    expect(decide(keeper, { tool: 'Read', input: { file_path: 's/key' } }, linked)).toMatchObject({
      verdict: 'deny',
      rule: 'Read(secret/**)',
    });
    expect(decide(keeper, { tool: 'Write', input: { file_path: 'src/app.ts', content: '' } }, linked)).toEqual({
      verdict: 'allow',
      rule: 'Edit',
    });
  });

  it('the files commands name', () => {
    expect(decide(keeper, { tool: 'Bash', input: { command: 'echo x > notes/settings.local.json' } }, linked)).toMatchObject({
      verdict: 'confirm',
      reason: expect.stringMatching(
        /^it writes \/work\/app\/\.claude\/settings\.local\.json \(through a link: notes\/settings\.local\.json\), part of Claude Code's own configuration/,
      ),
    });
    expect(decide(keeper, { tool: 'Bash', input: { command: 'cat s/key' } }, linked)).toMatchObject({
      verdict: 'deny',
      rule: 'Read(secret/**)',
    });
    expect(decide(keeper, { tool: 'Bash', input: { command: 'cat src/app.ts' } }, linked)).toEqual({
      verdict: 'allow',
      rule: 'Bash(cat:*)',
    });
  });
});
