import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SlotWithRole } from '@mission/store';
import { describe, expect, it } from 'vitest';
import { checkRunnable } from './runnableSlot.ts';

const rules = { allow: [], confirm: [], deny: [] };
const slotIn = (cwd: string) => ({ slot: { id: 'team', cwd }, role: { rules } }) as unknown as SlotWithRole;

describe("a slot's working directory", () => {
  it('runs in a folder that exists', () => {
    expect(checkRunnable(slotIn(os.tmpdir()))).toEqual({ slot: { id: 'team', cwd: os.tmpdir() }, rules });
  });

  it('says whether the folder is missing or is not a folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runnable-slot-'));
    try {
      const file = path.join(dir, 'a-file');
      fs.writeFileSync(file, '');
      expect(checkRunnable(slotIn(path.join(dir, 'gone')))).toEqual({
        problem: `slot 'team' working directory does not exist: ${path.join(dir, 'gone')}`,
      });
      expect(checkRunnable(slotIn(file))).toEqual({ problem: `slot 'team' working directory is not a folder: ${file}` });
      expect(checkRunnable(slotIn(path.join(file, 'below')))).toEqual({
        problem: `slot 'team' working directory does not exist: ${path.join(file, 'below')}`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
