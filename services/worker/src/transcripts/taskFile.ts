import { type CcTodo, ccTodoStatuses } from '@mission/contracts';

/**
 * One task of Claude Code's task list (`~/.claude/tasks/<session>/<n>.json`, written by TaskCreate
 * and TaskUpdate), or undefined for a file that is not one (torn, unknown shape, unknown status).
 */
export function parseTaskFile(text: string): CcTodo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { id, subject, status, activeForm } = value as Record<string, unknown>;
  if (typeof id !== 'string' || typeof subject !== 'string') return undefined;
  if (!ccTodoStatuses.includes(status as CcTodo['status'])) return undefined;
  return { id, content: subject, status: status as CcTodo['status'], activeForm: typeof activeForm === 'string' ? activeForm : null };
}
