import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { scriptByPrompt } from './support/stubAnthropic.ts';

/**
 * Claude Code's sandbox on Linux is bubblewrap; the test runs only where it can make a sandbox. In CI (whose
 * .ci/run installs it) a missing bubblewrap is a failure rather than a silent skip.
 */
function bubblewrapWorks(): boolean {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net', 'true'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    const installed = fs.existsSync('/usr/bin/bwrap');
    const reason = installed
      ? `bubblewrap cannot make a sandbox here (${(error as Error).message.split('\n')[0]}): user namespaces may be forbidden`
      : 'bubblewrap is missing: install it with `apt-get install -y bubblewrap socat` to run the sandbox tests';
    if (process.env.CI && !installed) throw new Error(reason);
    console.warn(`skipping the sandbox tests: ${reason}`);
    return false;
  }
}

/**
 * A role with `sandbox` runs its agents' commands in Claude Code's own sandbox: the real CLI against the
 * stub, on a role that allows every command, still cannot write outside its working folder or reach a
 * host the role does not list. Skipped where bubblewrap cannot run (not installed, or no user namespaces).
 */
describe.skipIf(!bubblewrapWorks())('a role with a sandbox (real claude CLI, bubblewrap)', () => {
  let bed: ClaudeTestBed;
  let replies: ReturnType<typeof scriptByPrompt>;
  let server: http.Server;
  let hits = 0;
  const outside = path.join('/var/tmp', `mission-sandbox-${process.pid}-${Date.now()}.txt`);

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
    // A host the role does not list: it must never be reached.
    server = http.createServer((_, res) => {
      hits++;
      res.end('reached');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const put = (route: string, body: unknown) =>
      bed.system.fetch(route, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/v1/roles/boxed', { allow: ['Bash'], sandbox: { network: ['docs.example.com'] } })).status).toBe(200);
    expect((await put('/v1/slots/boxed', { role: 'boxed', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
  });
  afterAll(async () => {
    server?.close();
    fs.rmSync(outside, { force: true });
    await bed?.close();
  });

  async function run(prompt: string, command: string): Promise<string> {
    replies[prompt] = [{ text: 'Running.', toolUses: [{ name: 'Bash', input: { command, description: 'Run' } }] }, { text: 'Done.' }];
    const task = await bed.system.core.tasks.ask({ prompt, slot: 'boxed' });
    expect(task).toMatchObject({ status: 'succeeded', result: 'Done.' });
    return bed.stub.requests.flatMap((request) => request.toolResults).at(-1)!.content;
  }

  it('the role reads back with its sandbox', async () => {
    const role = (await (await bed.system.fetch('/v1/roles/boxed')).json()) as { sandbox: unknown };
    expect(role.sandbox).toEqual({ network: ['docs.example.com'], writable: [] });
  });

  it('commands write in the working folder, and not outside it', async () => {
    await run('write inside', 'echo inside > inside.txt');
    expect(fs.readFileSync(path.join(bed.workdir, 'inside.txt'), 'utf8')).toBe('inside\n');
    const output = await run('write outside', `echo outside > ${outside}; echo "exit=$?"`);
    expect(output).toMatch(/Read-only file system|Permission denied|Operation not permitted/);
    expect(fs.existsSync(outside)).toBe(false);
  });

  it('the same write outside, on a role without a sandbox, happens: the sandbox is what stopped it', async () => {
    const put = (route: string, body: unknown) =>
      bed.system.fetch(route, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/v1/roles/open', { allow: ['Bash'] })).status).toBe(200);
    expect((await put('/v1/slots/open', { role: 'open', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
    replies['write outside unboxed'] = [
      { text: 'Running.', toolUses: [{ name: 'Bash', input: { command: `echo outside > ${outside}`, description: 'Run' } }] },
      { text: 'Done.' },
    ];
    expect(await bed.system.core.tasks.ask({ prompt: 'write outside unboxed', slot: 'open' })).toMatchObject({ status: 'succeeded' });
    expect(fs.readFileSync(outside, 'utf8')).toBe('outside\n');
    fs.rmSync(outside);
  });

  it('commands reach no host the role does not list', async () => {
    const { port } = server.address() as AddressInfo;
    const output = await run('reach out', `curl -sS -m 5 http://127.0.0.1:${port}/ ; echo "exit=$?"`);
    expect(output).not.toContain('reached');
    expect(output).toMatch(/exit=[1-9]/);
    expect(hits).toBe(0);
  });
});
