import { type Caller, MissionError, NotFoundError, type Session } from '@mission/contracts';
import { childSessionIds, type Database, sessionExists, sessionParentId, taskParentId } from '@mission/store';

/** A session with the sessions it started, nested. */
export type SessionNode = Session & { children: SessionNode[] };

/** An agent (a caller with a child token) may call only the Mission tools its role gives. */
export function assertAgentMayUse(caller: Caller, tool: string): void {
  const agent = caller.agent;
  if (agent && !agent.tools.includes(tool)) {
    throw new MissionError(
      'forbidden',
      `forbidden: role '${agent.role}' does not allow ${tool} (its Mission tools: ${agent.tools.join(', ') || 'none'})`,
    );
  }
}

/** Every session under `id` (children, their children, …), deepest first: the order to end them in. */
export async function descendantsOf(db: Database, id: string): Promise<string[]> {
  const levels: string[][] = [];
  let frontier = [id];
  while (frontier.length > 0) {
    frontier = (await childSessionIds(db, frontier)).filter((child) => !levels.some((level) => level.includes(child)));
    if (frontier.length > 0) levels.push(frontier);
  }
  return levels.reverse().flat();
}

/** Whether `id` is `ancestor` or lies under it (an agent's task is an ancestor of the sessions it started). */
async function isWithin(db: Database, ancestor: string, id: string): Promise<boolean> {
  const seen = new Set<string>();
  for (let current: string | null = id; current && !seen.has(current); ) {
    if (current === ancestor) return true;
    seen.add(current);
    current = (await sessionParentId(db, current)) ?? null;
  }
  return false;
}

/** An agent may command only the sessions it started (and theirs); operators any. */
export async function assertMayCommand(db: Database, caller: Caller | undefined, sessionId: string): Promise<void> {
  const agent = caller?.agent;
  if (!agent) return;
  if (sessionId === agent.id || !(await isWithin(db, agent.id, sessionId))) {
    throw new MissionError('forbidden', `forbidden: session ${sessionId} is not one of the sessions ${agent.id} started`);
  }
}

/** An agent may read its own session and the sessions under it; operators any. */
export async function assertMayReadSession(db: Database, caller: Caller | undefined, sessionId: string): Promise<void> {
  const agent = caller?.agent;
  if (agent && !(await isWithin(db, agent.id, sessionId))) {
    throw new MissionError('forbidden', `forbidden: session ${sessionId} is neither ${agent.id} nor one of the sessions it started`);
  }
}

/**
 * An agent may read its own task and the tasks it, or a session under it, started (directly, or as the
 * children of a coordination it started); operators any.
 */
export async function assertMayReadTask(
  db: Database,
  caller: Caller | undefined,
  task: { id: string; parentId: string | null },
): Promise<void> {
  const agent = caller?.agent;
  if (!agent || task.id === agent.id) return;
  const starters = [task.parentId];
  if (task.parentId && !isSessionId(task.parentId)) {
    starters.push((await taskParentId(db, task.parentId)) ?? null);
  }
  for (const starter of starters) if (starter && (await isWithin(db, agent.id, starter))) return;
  throw new MissionError('forbidden', `forbidden: task ${task.id} was not started by ${agent.kind} ${agent.id} or a session under it`);
}

/** The sessions an agent may list (its own and those under it); `undefined` for an operator: all. */
export async function visibleSessions(db: Database, caller: Caller | undefined): Promise<string[] | undefined> {
  const agent = caller?.agent;
  return agent ? [agent.id, ...(await descendantsOf(db, agent.id))] : undefined;
}

const isSessionId = (id: string) => id.startsWith('ses_');

/**
 * The parent of a new session or task: the calling agent's own session or task (or, when it names one, a
 * session under it); an operator's choice, which must be a session; else none.
 */
export async function parentFor(db: Database, caller: Caller | undefined, named: string | undefined): Promise<string | null> {
  const agent = caller?.agent;
  if (agent) {
    if (named && named !== agent.id) await assertMayCommand(db, caller, named);
    return named ?? agent.id;
  }
  if (!named) return null;
  if (!(await sessionExists(db, named))) throw new NotFoundError('session', named);
  return named;
}

/** Nests sessions under their parents; a session whose parent is not in the list is a root. Order is kept. */
export function sessionTree(list: readonly Session[]): SessionNode[] {
  const nodes = new Map(list.map((session) => [session.id, { ...session, children: [] as SessionNode[] }]));
  const roots: SessionNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
