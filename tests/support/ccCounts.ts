import type { CcSession, CcTodo } from '@mission/contracts';

type TodoCounts = Record<CcTodo['status'], number>;

/**
 * What an overview of these sessions counts. Tests compare the overview with the counts of every session the
 * worker lists: the agent user's HOME (root's in the tests) may hold other runs' transcripts, which the worker
 * rightly reports, so a test cannot assume its own sessions are the only ones.
 */
export function countsOf(sessions: readonly CcSession[]): { sessions: number; inProgress: number; todos: TodoCounts } {
  const todos: TodoCounts = { pending: 0, in_progress: 0, completed: 0 };
  for (const todo of sessions.flatMap((session) => session.todos)) todos[todo.status] += 1;
  return { sessions: sessions.length, inProgress: sessions.filter((session) => session.inProgress).length, todos };
}
