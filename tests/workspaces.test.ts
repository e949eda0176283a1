import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CcSessionList, MissionEvent, Session } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { processesIn, waitUntil } from './support/processes.ts';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('git worktree workspaces per slot, real claude CLI against the stub', () => {
  let bed: ClaudeTestBed;
  let repo: string;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-repo-')));
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'README.md'), 'a repository\n');
    git(repo, 'add', 'README.md');
    git(repo, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'first');
    // The repository is trusted as an operator would trust it; its worktrees under .claude/worktrees are trusted with it.
    const configPath = path.join(bed.claude.home, '.claude.json');
    const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    config.projects[repo] = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] };
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    const { slots } = bed.system.core;
    await slots.put('tree', { cwd: repo, env: bed.claude.env, workspace: 'worktree' });
    await slots.put('kept-tree', { cwd: repo, env: bed.claude.env, workspace: 'worktree', keepWorkspace: true });
    await slots.put('no-repo', { cwd: bed.workdir, env: bed.claude.env, workspace: 'worktree' });
    expect(
      (await bed.system.call('PUT', '/v1/roles/tree-editor', { allow: ['Edit', 'Bash(echo:*)'], deny: ['Edit(secrets/**)'] })).status,
    ).toBe(200);
    await slots.put('guarded-tree', { cwd: repo, env: bed.claude.env, workspace: 'worktree', role: 'tree-editor' });
  });
  afterAll(async () => {
    await bed?.close();
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  const worktreeOf = (sessionId: string) => path.join(repo, '.claude', 'worktrees', `mission-${sessionId}`);
  const branches = () => git(repo, 'branch', '--format=%(refname:short)').split('\n');
  const killAndWait = async (id: string) => {
    await call('POST', `/v1/sessions/${id}/kill`);
    await waitUntil(
      async () => (await call<Session>('GET', `/v1/sessions/${id}`)).body.state === 'exited',
      15_000,
      `session ${id} to exit`,
    );
  };

  it('a session gets its own worktree on mission/<id>: claude runs there, and after kill both are gone', async () => {
    const spawned = await call<Session>('POST', '/v1/sessions', { slot: 'tree' });
    expect(spawned.status).toBe(201);
    const session = spawned.body;
    expect(session.workspaceBranch).toBe(`mission/${session.id}`);
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body.workspaceBranch).toBe(`mission/${session.id}`);
    expect(git(repo, 'worktree', 'list')).toContain(`${worktreeOf(session.id)} `);
    expect(branches()).toContain(`mission/${session.id}`);

    bed.stub.enqueue(
      { text: 'Touching.', toolUses: [{ name: 'Bash', input: { command: 'touch made-in-workspace.txt', description: 'Make a file' } }] },
      { text: 'Touched.' },
    );
    const asked = await call<{ state: string }>('POST', `/v1/sessions/${session.id}/send`, { text: 'make a file here', timeoutMs: 30_000 });
    expect(asked.body.state).toBe('waiting_permission');
    expect(
      (await call<{ state: string; response: string }>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes' })).body,
    ).toMatchObject({ state: 'idle', response: 'Touched.' });
    expect(fs.existsSync(path.join(worktreeOf(session.id), 'made-in-workspace.txt'))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'made-in-workspace.txt'))).toBe(false);
    // Claude Code itself recorded the worktree as the session's cwd.
    const cc = (await call<CcSessionList>('GET', `/v1/cc/sessions?cwd=${encodeURIComponent(worktreeOf(session.id))}`)).body;
    expect(cc.sessions.map((found) => found.id)).toEqual([session.claudeSessionId]);

    await killAndWait(session.id);
    await waitUntil(async () => !git(repo, 'worktree', 'list').includes(worktreeOf(session.id)), 10_000, 'the worktree to be removed');
    expect(fs.existsSync(worktreeOf(session.id))).toBe(false);
    expect(branches()).not.toContain(`mission/${session.id}`);
  });

  it('with keepWorkspace the worktree and its branch stay after the session ends, and a resume goes on in them', async () => {
    const { body: session } = await call<Session>('POST', '/v1/sessions', { slot: 'kept-tree' });
    expect(session.workspaceBranch).toBe(`mission/${session.id}`);
    // A conversation for `claude --resume` to go on with.
    bed.stub.enqueue({ text: 'Started here.' });
    expect(
      (await call<{ response: string }>('POST', `/v1/sessions/${session.id}/send`, { text: 'start the work', timeoutMs: 30_000 })).body
        .response,
    ).toBe('Started here.');
    await killAndWait(session.id);
    expect(git(repo, 'worktree', 'list')).toContain(worktreeOf(session.id));
    expect(branches()).toContain(`mission/${session.id}`);

    // Resumed, it goes on in the same worktree, with what was left there.
    fs.writeFileSync(path.join(worktreeOf(session.id), 'left-behind.txt'), 'work in progress');
    const resumed = await call<Session>('POST', `/v1/sessions/${session.id}/resume`);
    expect(resumed.status).toBe(200);
    await waitUntil(
      async () => (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'idle',
      30_000,
      'the resumed session to be idle',
    );
    expect(processesIn(worktreeOf(session.id)).length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(worktreeOf(session.id), 'left-behind.txt'), 'utf8')).toBe('work in progress');
    expect(
      git(repo, 'worktree', 'list')
        .split('\n')
        .filter((line) => line.includes(`mission-${session.id}`)),
    ).toHaveLength(1);
    bed.stub.enqueue({ text: 'Going on.' });
    expect(
      (await call<{ response: string }>('POST', `/v1/sessions/${session.id}/send`, { text: 'go on', timeoutMs: 30_000 })).body.response,
    ).toBe('Going on.');
    const turn = bed.stub.requests.findLast((request) => request.tools.length > 0);
    expect(turn?.lastUserText).toBe('go on');
    expect(JSON.stringify(turn?.body.messages)).toContain('start the work');
    await killAndWait(session.id);
  });

  it("the role's paths are read in the worktree claude works in: a deny rule of its folder holds there", async () => {
    const { body: session } = await call<Session>('POST', '/v1/sessions', { slot: 'guarded-tree' });
    const secret = path.join(worktreeOf(session.id), 'secrets', 'key.txt');
    const notes = path.join(worktreeOf(session.id), 'notes.txt');
    fs.mkdirSync(path.dirname(secret));
    // A command naming the file by its whole path. Claude Code, given the role's deny rules, refuses it too; read
    // against the slot's folder instead of the worktree, Mission's guard let it by unrecorded, its reason unsaid.
    bed.stub.enqueue(
      { text: 'Writing.', toolUses: [{ name: 'Bash', input: { command: `echo leaked > ${secret}`, description: 'Write the key' } }] },
      { text: 'Refused.', toolUses: [{ name: 'Write', input: { file_path: notes, content: 'notes' } }] },
      { text: 'Noted.' },
    );
    const turn = await call<{ state: string; response: string }>('POST', `/v1/sessions/${session.id}/send`, {
      text: 'write the key and the notes',
      timeoutMs: 30_000,
    });
    expect(turn.body).toMatchObject({ state: 'idle', response: 'Noted.' });
    expect(fs.existsSync(secret)).toBe(false);
    expect(fs.readFileSync(notes, 'utf8')).toBe('notes');
    const decisions = (await (await bed.system.fetch(`/v1/sessions/${session.id}/events?follow=false`)).text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as MissionEvent)
      .filter((event) => event.type === 'permission_decision')
      .map((event) => event.payload as { tool: string; decision: string; rule?: string });
    expect(decisions.map(({ tool, decision, rule }) => [tool, decision, rule])).toEqual([
      ['Bash', 'deny', 'Edit(secrets/**)'],
      ['Write', 'allow', 'Edit'],
    ]);
    await killAndWait(session.id);
  });

  it('a slot whose cwd is not in a git repository: the session ends at once with a clear spawn error', async () => {
    const spawned = await call<Session>('POST', '/v1/sessions', { slot: 'no-repo' });
    expect(spawned.status).toBe(201);
    expect(spawned.body).toMatchObject({ state: 'exited', workspaceBranch: null, ownerWorker: null });
    const events = (await (await bed.system.fetch(`/v1/sessions/${spawned.body.id}/events`)).text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as MissionEvent);
    expect(events.find((event) => event.type === 'error')?.payload).toEqual({
      code: 'spawn_failed',
      message: `workspace: worktree needs the slot's cwd to be in a git repository, and ${bed.workdir} is not`,
    });
  });
});
