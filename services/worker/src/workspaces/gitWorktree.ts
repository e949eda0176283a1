import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A session's own checkout: a `git worktree` of the slot's repository on a branch named after the session. */
export interface Workspace {
  /** The top of the repository the worktree belongs to. */
  repo: string;
  branch: string;
  path: string;
  /** Where claude runs: the slot's cwd at the same place inside the worktree. */
  cwd: string;
}

/** Why a workspace could not be made (the slot's cwd is not in a git repository, git refused …). */
export class WorkspaceError extends Error {}

export const workspaceBranch = (sessionId: string) => `mission/${sessionId}`;

/**
 * The session's worktree `<repo>/.claude/worktrees/mission-<session>` on branch `mission/<session>`: the
 * one already there when the session resumes (kept, or left by a worker that was lost), else a new one
 * from the checked-out commit of the repository holding `cwd`. Claude Code takes a folder there for a
 * worktree of that repository and trusts it as it trusts the repository.
 */
export async function openWorktree(cwd: string, sessionId: string): Promise<Workspace & { reused: boolean }> {
  const repo = await git(cwd, ['rev-parse', '--show-toplevel']).catch(() => {
    throw new WorkspaceError(`workspace: worktree needs the slot's cwd to be in a git repository, and ${cwd} is not`);
  });
  const branch = workspaceBranch(sessionId);
  const worktree = path.join(repo, '.claude', 'worktrees', `mission-${sessionId}`);
  const place = { repo, branch, path: worktree, cwd: path.join(worktree, path.relative(repo, await fs.realpath(cwd))) };
  if ((await git(worktree, ['rev-parse', '--abbrev-ref', 'HEAD']).catch(() => null)) === branch) return { ...place, reused: true };
  await git(repo, ['worktree', 'add', '-b', branch, worktree]).catch((error: unknown) => {
    throw new WorkspaceError(`could not add a git worktree for ${sessionId} in ${repo}: ${gitMessage(error)}`);
  });
  return { ...place, reused: false };
}

/** Removes the worktree (with whatever is in it) and deletes its branch. */
export async function removeWorktree(workspace: Workspace): Promise<void> {
  await git(workspace.repo, ['worktree', 'remove', '--force', workspace.path]);
  await git(workspace.repo, ['branch', '-D', workspace.branch]);
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, encoding: 'utf8' });
  return stdout.trim();
}

function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() ? stderr.trim() : error instanceof Error ? error.message : String(error);
}
