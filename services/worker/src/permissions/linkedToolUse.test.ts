import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { throughLinks } from './linkedToolUse.ts';

const folder = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-links-')));
fs.mkdirSync(path.join(folder, '.claude'));
fs.symlinkSync('.claude', path.join(folder, 'notes'));
fs.writeFileSync(path.join(folder, 'plain.txt'), 'x');
fs.symlinkSync('loop', path.join(folder, 'loop'));
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));
const context = { cwd: folder, home: '/home/agent' };

describe('a file tool’s path as the disk resolves it', () => {
  it('follows the links in the part that exists, and keeps the rest as named', async () => {
    const write = { tool: 'Write', input: { file_path: 'notes/settings.local.json', content: '{}' } };
    expect(await throughLinks(write, context)).toEqual({
      use: { tool: 'Write', input: { file_path: path.join(folder, '.claude', 'settings.local.json'), content: '{}' } },
      file: path.join(folder, '.claude', 'settings.local.json'),
    });
    expect((await throughLinks({ tool: 'Read', input: { file_path: path.join(folder, 'notes') } }, context))?.file).toBe(
      path.join(folder, '.claude'),
    );
  });

  it('is nothing when the path has no link, when nothing of it exists, or when the tool names no file', async () => {
    expect(await throughLinks({ tool: 'Write', input: { file_path: 'plain.txt', content: '' } }, context)).toBeNull();
    expect(await throughLinks({ tool: 'Write', input: { file_path: 'new/deeper/file.txt', content: '' } }, context)).toBeNull();
    expect(await throughLinks({ tool: 'Bash', input: { command: 'ls notes' } }, context)).toBeNull();
    // A loop of links resolves to nothing: the tool fails on it too.
    expect(await throughLinks({ tool: 'Write', input: { file_path: 'loop/x', content: '' } }, context)).toBeNull();
  });
});
