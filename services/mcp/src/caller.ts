import { assertScope } from '@mission/core';
import { type Caller, MissionError, type Scope } from '@mission/contracts';

/** The caller the HTTP transport authenticated (stdio relays to it, so every call has one). */
export function callerOf(extra: { authInfo?: { extra?: Record<string, unknown> } }): Caller {
  const caller = extra.authInfo?.extra?.caller as Caller | undefined;
  if (!caller) throw new MissionError('unauthorized', 'this MCP connection is not authenticated');
  return caller;
}

/** Checks the caller may do what needs `scope`; returns it (for audit rows). */
export function authorize(extra: { authInfo?: { extra?: Record<string, unknown> } }, scope: Scope): Caller {
  const caller = callerOf(extra);
  assertScope(caller, scope);
  return caller;
}
