import type { Logger } from '@mission/store';
import type { SlotRow } from '../runnableSlot.ts';
import { openWorktree, removeWorktree, type Workspace, WorkspaceError } from './gitWorktree.ts';

/** Where a session's claude runs: its own worktree for a `workspace: worktree` slot, else the slot's cwd. */
export type SessionPlace = { cwd: string; workspace: Workspace | null } | { problem: string };

/** The git worktrees of this worker's sessions: made before a session spawns, removed (unless kept) after it ends. */
export class SessionWorkspaces {
  private readonly open = new Map<string, { workspace: Workspace; keep: boolean }>();

  constructor(private readonly logger: Logger) {}

  async prepare(slot: SlotRow, sessionId: string): Promise<SessionPlace> {
    if (slot.workspace !== 'worktree') return { cwd: slot.cwd, workspace: null };
    try {
      const { reused, ...workspace } = await openWorktree(slot.cwd, sessionId);
      this.open.set(sessionId, { workspace, keep: slot.keepWorkspace });
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
      await removeWorktree(entry.workspace);
      this.logger.info({ sessionId, branch: entry.workspace.branch }, 'session workspace removed');
    } catch (error) {
      this.logger.warn({ err: error, sessionId, path: entry.workspace.path }, 'could not remove the session workspace');
    }
  }
}
