import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotOwnedError } from '../ownedFiles.ts';
import { JsonlTail } from './transcriptTail.ts';

describe('JsonlTail', () => {
  let dir: string;
  let file: string;
  const owner = process.getuid?.() ?? 0;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-tail-'));
    file = path.join(dir, 'session.jsonl');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the complete lines written since the last read, keeps a torn last line for later, and skips what is no JSON object', () => {
    const tail = new JsonlTail(file, 0, owner);
    expect(tail.read()).toEqual([]);
    fs.writeFileSync(file, '{"n":1}\nnot json\n[1,2]\n{"n":2}\n{"n":');
    expect(tail.read()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(tail.read()).toEqual([]);
    fs.appendFileSync(file, '3}\n');
    expect(tail.read()).toEqual([{ n: 3 }]);
    fs.appendFileSync(file, `{"long":"${'x'.repeat(200_000)}"}\n`);
    expect(tail.read()).toEqual([{ long: 'x'.repeat(200_000) }]);
    expect(tail.read()).toEqual([]);
  });

  it('starts at the offset given (what an earlier run read)', () => {
    fs.writeFileSync(file, '{"n":1}\n');
    const tail = new JsonlTail(file, fs.statSync(file).size, owner);
    expect(tail.read()).toEqual([]);
    fs.appendFileSync(file, '{"n":2}\n');
    expect(tail.read()).toEqual([{ n: 2 }]);
  });

  it("refuses a link in the file's place once it was read, whatever its length", () => {
    fs.writeFileSync(file, '{"n":1}\n');
    const tail = new JsonlTail(file, 0, owner);
    expect(tail.read()).toEqual([{ n: 1 }]);
    const elsewhere = path.join(dir, 'elsewhere.jsonl');
    fs.writeFileSync(elsewhere, '{"secret":1}\n{"secret":2}\n');
    fs.rmSync(file);
    fs.symlinkSync(elsewhere, file);
    expect(() => tail.read()).toThrow(NotOwnedError);
  });
});
