/*
 * The contracts' plain words and ranges (session states, token scopes, a task's priority range) and the text of a
 * screen: the schemas are built from them, and a client that loads no schema library reads them here (the `mission`
 * command line, which starts in little more than Node's own time: packages/cli/build.mjs keeps zod out of it).
 */

/** The highest seq an event can have (`events.seq` is a Postgres integer). */
export const MAX_EVENT_SEQ = 2_147_483_647;

/** `blocked`: the CLI shows a dialog no hook reports (folder trust, login, …): answer it (`POST /v1/sessions/:id/answer`). */
export const sessionStates = ['starting', 'idle', 'working', 'waiting_permission', 'blocked', 'exited', 'lost'] as const;

/**
 * How the worker follows a session's CLI: `hooks` (its hooks for state, turn ends and permissions, its
 * transcript for the content, the screen for the rest) or `screen` (the rendered screen only, for a CLI
 * that runs no hooks).
 */
export const sessionDrivers = ['hooks', 'screen'] as const;

/**
 * What a token may do. `…:write` includes `…:read` of the same things; `admin` includes everything
 * (roles, slots, tokens, Bull Board).
 */
export const scopes = [
  'tasks:read',
  'tasks:write',
  'sessions:read',
  'sessions:write',
  'approvals:read',
  'approvals:write',
  'admin',
] as const;

/** A task's priority: 0 (lowest) … 100 (highest), 50 unless given; higher runs first. */
export const taskPriority = { min: 0, max: 100, default: 50 } as const;

/**
 * How long `send`, `confirm` and `answer` wait for Claude's turn to end (ms): the range a caller may ask for, and the
 * wait when it does not say (an answer to any other dialog returns once it closed).
 */
export const turnTimeoutMs = { min: 1_000, max: 3_600_000, default: 5 * 60_000 } as const;

/**
 * A screen as text, one line per row, its trailing blank rows dropped: ending in one newline (what REST and
 * MCP send), or in none (`end: ''`, for a printer that adds its own).
 */
export function screenText(screen: { lines: readonly string[] }, end: '' | '\n' = '\n'): string {
  return screen.lines.join('\n').replace(/\n+$/, end);
}

/** The key(s) of a dialog's options, as an answer gives them: "1", or "1,3" for a question that takes several. */
export const OPTION_KEYS = /^\d{1,2}(,\d{1,2})*$/;
