import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { TESTED_CLAUDE_VERSIONS } from '@mission/contracts';
import { createLogger } from '@mission/store';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { logClaudeVersion } from './claudeVersion.ts';
import { ended } from './testing/processes.ts';

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-claude-version-'));
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** A claude that prints `printed` for --version. */
function fakeClaude(name: string, printed: string): string {
  const bin = path.join(folder, name);
  fs.writeFileSync(bin, `#!/bin/sh\necho '${printed}'\n`, { mode: 0o755 });
  return bin;
}

/** The lines logged while `bin`'s version is logged, parsed. */
async function logged(bin: string): Promise<{ level: number; msg: string; claudeVersion?: string }[]> {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
  await logClaudeVersion(bin, { PATH: '/usr/bin:/bin' }, createLogger({ level: 'info', name: 't' }, sink));
  return lines.map((line) => JSON.parse(line));
}

const WARN = 40;

describe("the worker's claude version in its log", () => {
  it('a tested version is logged as it is', async () => {
    const version = TESTED_CLAUDE_VERSIONS.at(-1)!;
    expect(await logged(fakeClaude('tested', `${version} (Claude Code)`))).toMatchObject([
      { level: 30, msg: 'claude', claudeVersion: version },
    ]);
  });

  it('another version is a warning naming the tested ones', async () => {
    const [line] = await logged(fakeClaude('newer', '2.1.400 (Claude Code)'));
    expect(line).toMatchObject({ level: WARN, claudeVersion: '2.1.400' });
    expect(line?.msg).toBe(
      `claude 2.1.400 is not a version Mission is tested with (${TESTED_CLAUDE_VERSIONS.join(', ')}): interactive sessions read its screen, which it may draw differently`,
    );
  });

  it('a claude that does not run is a warning, not a failure', async () => {
    const [line] = await logged(path.join(folder, 'missing'));
    expect(line).toMatchObject({
      level: WARN,
      msg: `'${path.join(folder, 'missing')} --version' failed: no agent can start until claude runs`,
    });
  });

  it('a claude that hangs is ended when the worker closes, with nothing logged', async () => {
    const bin = path.join(folder, 'hangs');
    const pidFile = path.join(folder, 'hangs.pid');
    fs.writeFileSync(bin, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 600\n`, { mode: 0o755 });
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const closing = new AbortController();
    const logging = logClaudeVersion(bin, { PATH: '/usr/bin:/bin' }, createLogger({ level: 'info', name: 't' }, sink), closing.signal);
    await vi.waitFor(() => expect(fs.readFileSync(pidFile, 'utf8')).toMatch(/^\d+\n$/), { timeout: 10_000 });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    closing.abort();
    await logging;
    expect(await ended(pid), `the hung claude (${pid}) still runs`).toBe(true);
    expect(lines).toEqual([]);
  });
});
