import type { Logger } from '@mission/store';
import type { AgentLauncher } from '../agentProcess.ts';
import type { SlotRow } from '../runnableSlot.ts';
import { type Git, openWorktree, removeWorktree, WORKER_USER, type Workspace, WorkspaceError } from './gitWorktree.ts';

/** Where a session's claude runs: its own worktree for a `workspace: worktree` slot, else the slot's cwd. */
export type SessionPlace = { cwd: string; workspace: Workspace | null } | { problem: string };

/**
 * The git worktrees of this worker's sessions: made before a session spawns, removed (unless kept) after it ends.
 * Git runs as the session's agent (its user and environment): the repository is the agent user's, as a slot's
 * folder is, and the agent commits in what git makes.
 */
export class SessionWorkspaces {
  private readonly open = new Map<string, { workspace: Workspace; keep: boolean; git: Git }>();

  constructor(
    private readonly logger: Logger,
    private readonly launcher: AgentLauncher,
  ) {}

  async prepare(slot: SlotRow, sessionId: string): Promise<SessionPlace> {
    if (slot.workspace !== 'worktree') return { cwd: slot.cwd, workspace: null };
    const git: Git = (cwd, args) => this.launcher.runAsAgent(slot.id, slot.env, 'git', args, cwd);
    const user = this.launcher.identityFor(slot.id)?.user;
    try {
      const { reused, ...workspace } = await openWorktree(git, slot.cwd, sessionId, user ? `the agent user '${user}'` : WORKER_USER);
      this.open.set(sessionId, { workspace, keep: slot.keepWorkspace, git });
      this.logger.info(
        { sessionId, branch: workspace.branch, path: workspace.path },
        reused ? 'session workspace reused' : 'session workspace added',
      );
      return { cwd: workspace.cwd, workspace };
    } catch (error) {
      if (error instanceof WorkspaceError) return { problem: error.message };
      throw error;
    }
  }

  /** After the session's process has ended: removes its worktree and branch, unless the slot keeps them. */
  async release(sessionId: string): Promise<void> {
    const entry = this.open.get(sessionId);
    if (!entry) return;
    this.open.delete(sessionId);
    if (entry.keep) return;
    try {
      await removeWorktree(entry.git, entry.workspace);
      this.logger.info({ sessionId, branch: entry.workspace.branch }, 'session workspace removed');
    } catch (error) {
      this.logger.warn({ err: error, sessionId, path: entry.workspace.path }, 'could not remove the session workspace');
    }
  }
}
