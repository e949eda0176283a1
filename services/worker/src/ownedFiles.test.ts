import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotOwnedError, readOwnedFile, writeOwnedFile } from './ownedFiles.ts';

/** `nobody`: a user other than the worker's, owning the agent's folder as an agent user would. */
const AGENT = { uid: 65534, gid: 65534 };

describe.skipIf(process.getuid?.() !== 0)("an agent's folder, read and written by a worker running as root", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const folder = (owner?: typeof AGENT) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-owned-'));
    dirs.push(dir);
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    return dir;
  };
  const agentFile = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    fs.chownSync(path.dirname(file), AGENT.uid, AGENT.gid);
    fs.chownSync(file, AGENT.uid, AGENT.gid);
  };

  it("reads and writes the agent's files; what it makes is the agent's", async () => {
    const home = folder(AGENT);
    agentFile(path.join(home, '.claude.json'), '{"a":1}');
    expect(await readOwnedFile(home, '.claude.json')).toBe('{"a":1}');
    expect(await readOwnedFile(home, '.claude/settings.json')).toBeNull();
    await writeOwnedFile(home, '.claude/settings.json', '{"b":2}\n');
    const settings = path.join(home, '.claude/settings.json');
    expect(fs.readFileSync(settings, 'utf8')).toBe('{"b":2}\n');
    for (const made of [settings, path.dirname(settings)]) expect(fs.statSync(made)).toMatchObject({ uid: AGENT.uid, gid: AGENT.gid });
    expect(fs.statSync(settings).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(settings))).toEqual(['settings.json']);
  });

  it("follows no link the agent made out of its folder, reads no file of another user's in it, and opens no FIFO", async () => {
    const home = folder(AGENT);
    const worker = folder();
    fs.writeFileSync(path.join(worker, 'secret.json'), '{"token":"worker-only"}', { mode: 0o600 });
    fs.symlinkSync(path.join(worker, 'secret.json'), path.join(home, '.claude.json'));
    fs.lchownSync(path.join(home, '.claude.json'), AGENT.uid, AGENT.gid);
    await expect(readOwnedFile(home, '.claude.json')).rejects.toThrow(
      new NotOwnedError(`${path.join(home, '.claude.json')} is a link: the worker follows no link in ${home}, another user's folder`),
    );
    // A folder linked out: neither read through nor written into.
    fs.symlinkSync(worker, path.join(home, '.claude'));
    fs.lchownSync(path.join(home, '.claude'), AGENT.uid, AGENT.gid);
    await expect(readOwnedFile(home, '.claude/secret.json')).rejects.toThrow(`${path.join(home, '.claude')} is a link`);
    await expect(writeOwnedFile(home, '.claude/settings.json', '{}')).rejects.toThrow(`${path.join(home, '.claude')} is a link`);
    expect(fs.readdirSync(worker)).toEqual(['secret.json']);
    // A file of the worker's own in the agent's folder (a hard link would be one, where the kernel lets one be made).
    const placed = path.join(home, 'placed.json');
    fs.writeFileSync(placed, '{}');
    await expect(readOwnedFile(home, 'placed.json')).rejects.toThrow(`${placed} belongs to another user than ${home} (uid 0, not 65534)`);
    // A FIFO would hold the read for ever.
    fs.rmSync(placed);
    fs.mkdirSync(path.join(home, 'fifo'));
    fs.chownSync(path.join(home, 'fifo'), AGENT.uid, AGENT.gid);
    execFileSync('mkfifo', [path.join(home, 'fifo/settings.json')]);
    await expect(readOwnedFile(home, 'fifo/settings.json')).rejects.toThrow(`${path.join(home, 'fifo/settings.json')} is not a file`);
  });

  it("a folder of the worker's own (agents run as the worker's user): links are followed as the user made them", async () => {
    const home = folder();
    const dotfiles = folder();
    fs.writeFileSync(path.join(dotfiles, 'claude.json'), '{"theme":"dark"}');
    fs.symlinkSync(path.join(dotfiles, 'claude.json'), path.join(home, '.claude.json'));
    expect(await readOwnedFile(home, '.claude.json')).toBe('{"theme":"dark"}');
  });
});
