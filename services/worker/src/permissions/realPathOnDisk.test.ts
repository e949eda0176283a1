import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realPathOnDisk } from './realPathOnDisk.ts';

const folder = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-links-')));
fs.mkdirSync(path.join(folder, '.claude'));
fs.symlinkSync('.claude', path.join(folder, 'notes'));
fs.symlinkSync('loop', path.join(folder, 'loop'));
fs.writeFileSync(path.join(folder, 'plain.txt'), 'x');
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

describe('a path as the disk resolves it', () => {
  it('follows the links in the part that exists, and keeps the rest as named', () => {
    expect(realPathOnDisk(path.join(folder, 'notes', 'settings.local.json'))).toBe(path.join(folder, '.claude', 'settings.local.json'));
    expect(realPathOnDisk(path.join(folder, 'notes'))).toBe(path.join(folder, '.claude'));
  });

  it('is the path itself without links, also where none of it exists yet; nothing for a loop of links', () => {
    expect(realPathOnDisk(path.join(folder, 'plain.txt'))).toBe(path.join(folder, 'plain.txt'));
    expect(realPathOnDisk(path.join(folder, 'new', 'deeper', 'file.txt'))).toBe(path.join(folder, 'new', 'deeper', 'file.txt'));
    expect(realPathOnDisk(path.join(folder, 'loop', 'x'))).toBeNull();
  });
});
