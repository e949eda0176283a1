import { type Caller, hasScope, MissionError, type Scope } from '@mission/contracts';
import { type Database } from '@mission/store';
import { assertAgentMayUse, assertMayCommand, assertMayReadSession, assertMayReadTask } from './hierarchy.ts';

/** A token may do what needs `scope` only when it holds it (or a scope that includes it). */
export function assertScope(caller: Caller, scope: Scope): void {
  if (!hasScope(caller.scopes, scope))
    throw new MissionError('forbidden', `this needs the '${scope}' scope; the token has ${caller.scopes.join(', ')}`);
}

/**
 * Who may do what, in one place for every front door: REST routes and MCP tools ask the same questions
 * here. A token needs the scope; an agent's child token also needs the tool among its role's Mission tools,
 * and acts only on the sessions and tasks it started (the hierarchy). Operators act on everything.
 */
export class AccessPolicy {
  constructor(private readonly db: Database) {}

  /** A call of a Mission tool: the scope, and for an agent the role's tools. */
  tool(caller: Caller, tool: string, scope: Scope): void {
    assertAgentMayUse(caller, tool);
    assertScope(caller, scope);
  }

  /** Commanding a session (send, confirm, kill, …): an agent only the sessions it started (and theirs). */
  commandSession(caller: Caller | undefined, sessionId: string): Promise<void> {
    return assertMayCommand(this.db, caller, sessionId);
  }

  /** Reading a session: an agent its own and the sessions under it. */
  readSession(caller: Caller | undefined, sessionId: string): Promise<void> {
    return assertMayReadSession(this.db, caller, sessionId);
  }

  /** Reading a task: an agent its own and the tasks it, or a session under it, started. */
  readTask(caller: Caller | undefined, task: { id: string; parentId: string | null }): Promise<void> {
    return assertMayReadTask(this.db, caller, task);
  }
}
