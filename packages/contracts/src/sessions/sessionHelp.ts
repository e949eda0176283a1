/*
 * What a session waits on and how to go on with it, in words every client acts on (REST, the `mission` command line,
 * MCP): the 409 of a command typed into a blocked session, `mission status` and `mission sessions`, the reason of a
 * lost session's state event. No schema library: the command line loads it (packages/cli/build.mjs keeps zod out;
 * the schemas' types below are types only).
 */

import type { BlockingDialogView } from '../schemas/sessions.ts';

/** The dialog as every client is shown it (a driver's own notes on it, such as where its cursor is, left out). */
export function shownDialog(dialog: BlockingDialogView): BlockingDialogView {
  return { kind: dialog.kind, text: dialog.text, options: dialog.options.map(({ key, label }) => ({ key, label })) };
}

/** The dialog in a few words: its kind and the first line of its text (`trust_folder dialog ("Do you trust …")`). */
export function blockingDialogLine(dialog: BlockingDialogView): string {
  return `${dialog.kind} dialog ("${dialog.text.split('\n')[0] ?? ''}")`;
}

/** A dialog's options as every message about it names them: `1: Yes; 2: No` (`none` when it has none). */
export function offeredOptions(options: readonly { key: string; label: string }[]): string {
  return options.map((option) => `${option.key}: ${option.label}`).join('; ') || 'none';
}

/**
 * A dialog Mission puts to the person itself, answered with an option's key or in words: Claude's question, or an MCP
 * server's request for input (a field that takes text).
 */
export function answeredInWords(dialog: Pick<BlockingDialogView, 'kind'>): boolean {
  return dialog.kind === 'question' || dialog.kind === 'mcp_input';
}

/** How to get the session past the dialog: close it, answer it with one of its options, or what it needs that no key gives. */
export function howToGetPast(dialog: BlockingDialogView): string {
  // A screen a slash command opened offers nothing to pick: Esc (what interrupt presses) closes it.
  if (dialog.kind === 'command_screen')
    return 'close it first with POST /v1/sessions/:id/interrupt (Esc; `mission interrupt`, mission_pty_interrupt)';
  const options = offeredOptions(dialog.options);
  // Claude's own question: one of its options, or the person's own words.
  if (dialog.kind === 'question')
    return `Claude asks a question: answer it with POST /v1/sessions/:id/answer (\`mission answer\`, mission_pty_answer), {"option": "<key>"} for one of: ${options}, or {"text": "<your own words>"}`;
  // An MCP server's request for input: the request, then each field of its form, one answer at a time.
  if (dialog.kind === 'mcp_input' && dialog.options.length === 0)
    return "an MCP server asks for input on the CLI's own dialog (a form, or a page to open): answer it at the session's terminal (`mission attach`, or the web console), or interrupt the session (Esc cancels it)";
  if (dialog.kind === 'mcp_input')
    return `an MCP server asks for input: answer it with POST /v1/sessions/:id/answer (\`mission answer\`, mission_pty_answer), {"option": "<key>"} for one of: ${options}, or {"text": "…"} where it takes text`;
  if (dialog.options.length > 0)
    return `answer it first with POST /v1/sessions/:id/answer (\`mission answer\`, mission_pty_answer), one of: ${options}`;
  if (dialog.kind === 'login_required')
    return "claude has no credentials on its worker: give the slot's env or the worker ANTHROPIC_API_KEY (`mission doctor` checks it) and start a new session, or log in at the session's terminal (`mission attach`, then /login)";
  if (dialog.kind === 'usage_limit') return "it waits for Claude's usage limit to reset, and goes on by itself then";
  return 'it shows no option Mission can pick: answer it at its terminal (`mission attach`, or the web console), or kill the session';
}

/** How an ended (`exited`) or `lost` session goes on: resumed with `claude --resume` on any worker, by any client. */
export function howToResume(sessionId: string): string {
  return `resume it with POST /v1/sessions/${sessionId}/resume (\`mission resume ${sessionId}\`, mission_pty_resume)`;
}

/**
 * How a session waiting for a permission answer goes on: its approval decided by any client (`approvalId`), or, while
 * no approval is open for it yet, its dialog confirmed or denied on the session.
 */
export function howToDecide(approvalId: string | null): string {
  return approvalId
    ? `decide approval ${approvalId} first (\`mission approve ${approvalId}\` or --deny, POST /v1/approvals/${approvalId}/approve or /deny, mission_approve)`
    : 'confirm or deny it first (POST /v1/sessions/:id/confirm, mission_pty_confirm)';
}
