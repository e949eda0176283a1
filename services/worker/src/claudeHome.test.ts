import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  claudeHomePaths,
  claudeHomeProblems,
  findClaudeAuth,
  prepareClaudeHome,
  readClaudeHome,
  withClaudeConfig,
  withClaudeSettings,
} from './claudeHome.ts';

const KEY = 'sk-ant-api03-some-user-key-0123456789abcdefghij';
const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-claude-home-test-')));
  temporary.push(dir);
  return dir;
}

describe("the CLI's home", () => {
  it('lives in HOME, or in CLAUDE_CONFIG_DIR when set', () => {
    expect(claudeHomePaths({ HOME: '/h' })).toEqual({
      root: '/h',
      config: '/h/.claude.json',
      settings: '/h/.claude/settings.json',
      credentials: '/h/.claude/.credentials.json',
      projects: '/h/.claude/projects',
    });
    expect(claudeHomePaths({ HOME: '/h', CLAUDE_CONFIG_DIR: '/c' })).toEqual({
      root: '/c',
      config: '/c/.claude.json',
      settings: '/c/settings.json',
      credentials: '/c/.credentials.json',
      projects: '/c/projects',
    });
  });

  it('merges what Mission needs into the config, keeping the rest', () => {
    const user = {
      theme: 'light',
      projects: { '/w': { allowedTools: ['Bash(ls)'] }, '/other': { hasTrustDialogAccepted: false } },
      customApiKeyResponses: { approved: ['abc'], rejected: [KEY.slice(-20)] },
    };
    expect(withClaudeConfig(user, { trustedDirs: ['/w'], apiKey: KEY })).toEqual({
      theme: 'light',
      hasCompletedOnboarding: true,
      projects: { '/w': { allowedTools: ['Bash(ls)'], hasTrustDialogAccepted: true }, '/other': { hasTrustDialogAccepted: false } },
      customApiKeyResponses: { approved: ['abc', KEY.slice(-20)], rejected: [] },
    });
    expect(withClaudeSettings({ model: 'opus', permissions: { allow: ['Read'] } })).toEqual({
      model: 'opus',
      permissions: { allow: ['Read'] },
      disableAutoMode: 'disable',
    });
  });

  it('names every problem of a home, and none once prepared; a parent folder trusted covers its children', () => {
    expect(claudeHomeProblems({}, {}, { trustedDirs: ['/w/a'], apiKey: KEY })).toEqual([
      'onboarding is not marked done (hasCompletedOnboarding)',
      'the folder /w/a is not trusted',
      'ANTHROPIC_API_KEY is not approved (the CLI would ask "Do you want to use this API key?")',
      'auto mode is not disabled (disableAutoMode: "disable")',
    ]);
    const config = withClaudeConfig({}, { trustedDirs: ['/w'], apiKey: KEY });
    expect(claudeHomeProblems(config, withClaudeSettings({}), { trustedDirs: ['/w/a/b'], apiKey: KEY })).toEqual([]);
  });

  it('prepares the files in place without clobbering the user’s, writing nothing when ready', async () => {
    const home = tempDir();
    const work = tempDir();
    const paths = claudeHomePaths({ HOME: home });
    fs.mkdirSync(path.dirname(paths.settings));
    fs.writeFileSync(paths.config, JSON.stringify({ numStartups: 7, projects: { [work]: { allowedTools: ['Read'] } } }));
    fs.writeFileSync(paths.settings, JSON.stringify({ model: 'sonnet' }));
    await prepareClaudeHome(paths, { trustedDirs: [work], apiKey: KEY });
    const { config, settings } = await readClaudeHome(paths);
    expect(config).toMatchObject({
      numStartups: 7,
      hasCompletedOnboarding: true,
      projects: { [work]: { allowedTools: ['Read'], hasTrustDialogAccepted: true } },
    });
    expect(settings).toEqual({ model: 'sonnet', disableAutoMode: 'disable' });
    const written = fs.statSync(paths.config).mtimeMs;
    await prepareClaudeHome(paths, { trustedDirs: [work], apiKey: KEY });
    expect(fs.statSync(paths.config).mtimeMs).toBe(written);
    expect(fs.readdirSync(home).filter((file) => file.includes('.mission-'))).toEqual([]);
  });

  it('concurrent preparations of one home keep every folder', async () => {
    const home = tempDir();
    const dirs = Array.from({ length: 6 }, () => tempDir());
    const paths = claudeHomePaths({ HOME: home });
    await Promise.all(dirs.map((dir) => prepareClaudeHome(paths, { trustedDirs: [dir] })));
    const { config } = await readClaudeHome(paths);
    expect(Object.keys(config.projects as object).sort()).toEqual([...dirs].sort());
  });

  it('refuses a config that is not JSON, naming the file', async () => {
    const home = tempDir();
    const paths = claudeHomePaths({ HOME: home });
    fs.writeFileSync(paths.config, '{ broken');
    await expect(prepareClaudeHome(paths, { trustedDirs: [home] })).rejects.toThrow(`Claude Code's file ${paths.config} is not valid JSON`);
  });

  it('finds how claude would reach the model: a key or token variable, an apiKeyHelper, a stored login, or nothing', async () => {
    const home = tempDir();
    expect(await findClaudeAuth({ HOME: home })).toBeNull();
    expect(await findClaudeAuth({ HOME: home, ANTHROPIC_API_KEY: KEY })).toBe('ANTHROPIC_API_KEY');
    expect(await findClaudeAuth({ HOME: home, CLAUDE_CODE_USE_BEDROCK: '1' })).toBe('CLAUDE_CODE_USE_BEDROCK');
    const paths = claudeHomePaths({ HOME: home });
    fs.mkdirSync(path.dirname(paths.settings));
    fs.writeFileSync(paths.credentials, '{}');
    expect(await findClaudeAuth({ HOME: home })).toBe(`the login stored in ${paths.credentials}`);
    fs.writeFileSync(paths.settings, JSON.stringify({ apiKeyHelper: '~/bin/key' }));
    expect(await findClaudeAuth({ HOME: home })).toBe(`apiKeyHelper in ${paths.settings}`);
  });
});
