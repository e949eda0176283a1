import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hooksForbidden, hooksForbiddenBy, settingsFilesOf } from './hooksForbidden.ts';

const at = (file: string, settings: Record<string, unknown>) => ({ file, settings });

describe('hooksForbidden', () => {
  it('nothing set, or disableAllHooks false, "false" or null: hooks run', () => {
    expect(hooksForbidden([at('user', {}), at('project', { hooks: {} })], [at('managed', {})])).toBeNull();
    for (const value of [false, 'false', null]) expect(hooksForbidden([at('user', { disableAllHooks: value })], [])).toBeNull();
  });

  it('the last of the user, project and local files that sets disableAllHooks decides it', () => {
    expect(hooksForbidden([at('user', { disableAllHooks: true }), at('project', {}), at('local', {})], [])).toBe('disableAllHooks in user');
    expect(
      hooksForbidden([at('user', { disableAllHooks: true }), at('project', {}), at('local', { disableAllHooks: false })], []),
    ).toBeNull();
    expect(hooksForbidden([at('user', { disableAllHooks: false }), at('project', { disableAllHooks: 'yes' })], [])).toBe(
      'disableAllHooks in project',
    );
  });

  it('a managed file outranks them all: disableAllHooks, or hooks from managed settings only', () => {
    const allowed = [at('user', { disableAllHooks: false })];
    expect(hooksForbidden(allowed, [at('managed', { disableAllHooks: true })])).toBe('disableAllHooks in managed');
    expect(hooksForbidden(allowed, [at('managed', {}), at('drop-in', { allowManagedHooksOnly: true })])).toBe(
      'allowManagedHooksOnly in drop-in',
    );
    expect(hooksForbidden(allowed, [at('managed', { allowManagedHooksOnly: false })])).toBeNull();
  });
});

describe('settingsFilesOf and hooksForbiddenBy', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const folder = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-hooks-forbidden-'));
    dirs.push(dir);
    return dir;
  };
  const write = (file: string, settings: unknown) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(settings));
  };

  it("reads the CLI's home, the project's two files and the managed file with its drop-ins in name order; missing files set nothing", async () => {
    const [home, cwd, managed] = [folder(), folder(), folder()];
    const files = await settingsFilesOf({ HOME: home }, cwd, managed);
    expect(files).toEqual({
      ordered: [
        { file: path.join(home, '.claude/settings.json'), root: home },
        { file: path.join(cwd, '.claude/settings.json'), root: cwd },
        { file: path.join(cwd, '.claude/settings.local.json'), root: cwd },
      ],
      managed: [path.join(managed, 'managed-settings.json')],
    });
    expect(await hooksForbiddenBy(files)).toBeNull();

    write(path.join(cwd, '.claude/settings.local.json'), { disableAllHooks: true });
    expect(await hooksForbiddenBy(files)).toBe(`disableAllHooks in ${path.join(cwd, '.claude/settings.local.json')}`);

    write(path.join(managed, 'managed-settings.d/20-hooks.json'), { allowManagedHooksOnly: true });
    write(path.join(managed, 'managed-settings.d/10-other.json'), {});
    fs.writeFileSync(path.join(managed, 'managed-settings.d/notes.txt'), 'not settings');
    const withDropIns = await settingsFilesOf({ CLAUDE_CONFIG_DIR: path.join(home, 'config') }, cwd, managed);
    expect(withDropIns.ordered[0]).toEqual({ file: path.join(home, 'config/settings.json'), root: path.join(home, 'config') });
    expect(withDropIns.managed).toEqual([
      path.join(managed, 'managed-settings.json'),
      path.join(managed, 'managed-settings.d/10-other.json'),
      path.join(managed, 'managed-settings.d/20-hooks.json'),
    ]);
    expect(await hooksForbiddenBy(withDropIns)).toBe(`allowManagedHooksOnly in ${path.join(managed, 'managed-settings.d/20-hooks.json')}`);
  });

  it('a settings file that is not JSON is an error naming it', async () => {
    const [home, cwd] = [folder(), folder()];
    fs.mkdirSync(path.join(home, '.claude'));
    fs.writeFileSync(path.join(home, '.claude/settings.json'), '{ not json');
    await expect(hooksForbiddenBy(await settingsFilesOf({ HOME: home }, cwd, folder()))).rejects.toThrow(
      `Claude Code's file ${path.join(home, '.claude/settings.json')} is not valid JSON`,
    );
  });
});
