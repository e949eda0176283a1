import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pty from 'node-pty';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..');
const SCRIPT =
  "const { createLogger } = await import('@mission/store'); createLogger({ level: 'info', name: 'mission' }).info({ port: 7070 }, 'listening');";
const args = ['--import', 'tsx', '--input-type=module', '-e', SCRIPT];

describe("Mission's log: for people on a terminal, JSON lines otherwise", () => {
  it('on a terminal (a PTY): one readable line, colored', async () => {
    const child = pty.spawn(process.execPath, args, {
      cwd: repoRoot,
      cols: 200,
      rows: 10,
      env: { ...process.env, NO_COLOR: '' } as Record<string, string>,
    });
    let output = '';
    child.onData((data) => (output += data));
    await new Promise<void>((resolve) => child.onExit(() => resolve()));
    expect(output.trim()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \x1b\[32mINFO \x1b\[39m mission: listening port=7070$/);
  });

  it('through a pipe: a JSON line, as log collectors want', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot });
    expect(JSON.parse(stdout)).toMatchObject({ level: 30, name: 'mission', msg: 'listening', port: 7070 });
  });
});
