import fs from 'node:fs/promises';
import path from 'node:path';

/** A session's own checkout: a `git worktree` of the slot's repository on a branch named after the session. */
export interface Workspace {
  /** The top of the repository the worktree belongs to. */
  repo: string;
  branch: string;
  path: string;
  /** Where claude runs: the slot's cwd at the same place inside the worktree. */
  cwd: string;
}

/**
 * Runs git with `args` in `cwd` and resolves with what it printed; rejects as execFile does (with git's `stderr`).
 * The worker runs it as the session's agent runs, so that what git makes is the agent's to commit in.
 */
export type Git = (cwd: string, args: readonly string[]) => Promise<string>;

/** Why a workspace could not be made (the slot's cwd is not in a git repository, git refused …). */
export class WorkspaceError extends Error {}

/** Whom git runs as when agents run as the worker's own user. */
export const WORKER_USER = "the worker's user";

export const workspaceBranch = (sessionId: string) => `mission/${sessionId}`;

/**
 * The session's worktree `<repo>/.claude/worktrees/mission-<session>` on branch `mission/<session>`: the
 * one already there when the session resumes (kept, or left by a worker that was lost), else a new one
 * from the checked-out commit of the repository holding `cwd`. Claude Code takes a folder there for a
 * worktree of that repository and trusts it as it trusts the repository. `who`: whom git runs as, for errors.
 */
export async function openWorktree(git: Git, cwd: string, sessionId: string, who: string): Promise<Workspace & { reused: boolean }> {
  const repo = await git(cwd, ['rev-parse', '--show-toplevel']).catch((error: unknown) => {
    const give = `give it to ${who} (chown -R), or run the slot's agents as its owner (MISSION_SLOT_AGENT_USERS)`;
    if (gitMessage(error).includes('dubious ownership'))
      throw new WorkspaceError(
        `workspace: worktree: git refuses the repository holding ${cwd} to ${who}, as it belongs to another user ("dubious ownership"): ${give}`,
      );
    // A folder the agent user cannot read is no repository to its git either.
    throw new WorkspaceError(
      `workspace: worktree needs the slot's cwd to be in a git repository${who === WORKER_USER ? `, and ${cwd} is not` : ` ${who} can read, and ${cwd} is not (if it is one, ${give})`}`,
    );
  });
  const branch = workspaceBranch(sessionId);
  const worktree = path.join(repo, '.claude', 'worktrees', `mission-${sessionId}`);
  const place = { repo, branch, path: worktree, cwd: path.join(worktree, path.relative(repo, await fs.realpath(cwd))) };
  if ((await git(worktree, ['rev-parse', '--abbrev-ref', 'HEAD']).catch(() => null)) === branch) return { ...place, reused: true };
  await git(repo, ['worktree', 'add', '-b', branch, worktree]).catch((error: unknown) => {
    throw new WorkspaceError(`could not add a git worktree for ${sessionId} in ${repo} as ${who}: ${gitMessage(error)}`);
  });
  return { ...place, reused: false };
}

/** Removes the worktree (with whatever is in it) and deletes its branch. */
export async function removeWorktree(git: Git, workspace: Workspace): Promise<void> {
  await git(workspace.repo, ['worktree', 'remove', '--force', workspace.path]);
  await git(workspace.repo, ['branch', '-D', workspace.branch]);
}

function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() ? stderr.trim() : error instanceof Error ? error.message : String(error);
}
