import { describe, expect, it } from 'vitest';
import type { BlockingDialogView } from '../schemas/sessions.ts';
import { blockingDialogLine, howToDecide, howToGetPast, howToResume } from './sessionHelp.ts';

describe('what a session waits on, and how it goes on', () => {
  it('names the dialog by its kind and the first line of its text', () => {
    expect(blockingDialogLine({ kind: 'trust_folder', text: 'Do you trust the files in this folder?\n/work/x', options: [] })).toBe(
      'trust_folder dialog ("Do you trust the files in this folder?")',
    );
  });

  it("a dialog with options is answered with one of them, by any client; a slash command's screen is closed with Esc", () => {
    const trust: BlockingDialogView = {
      kind: 'trust_folder',
      text: 'Trust?',
      options: [
        { key: '1', label: 'Yes, proceed' },
        { key: '2', label: 'No, exit' },
      ],
    };
    expect(howToGetPast(trust)).toBe(
      'answer it first with POST /v1/sessions/:id/answer (`mission answer`, mission_pty_answer), one of: 1: Yes, proceed; 2: No, exit',
    );
    expect(howToGetPast({ kind: 'command_screen', text: 'Help', options: [] })).toBe(
      'close it first with POST /v1/sessions/:id/interrupt (Esc; `mission interrupt`, mission_pty_interrupt)',
    );
  });

  it('a dialog no option answers says what it needs instead of offering an empty answer', () => {
    expect(howToGetPast({ kind: 'login_required', text: 'Not logged in · run /login', options: [] })).toMatch(
      /^claude has no credentials on its worker: give the slot's env or the worker ANTHROPIC_API_KEY \(`mission doctor` checks it\)/,
    );
    expect(howToGetPast({ kind: 'usage_limit', text: "You've hit your limit", options: [] })).toBe(
      "it waits for Claude's usage limit to reset, and goes on by itself then",
    );
    for (const kind of ['unknown', 'api_key'] as const)
      expect(howToGetPast({ kind, text: 'Something new', options: [] })).toMatch(
        /^it shows no option Mission can pick: answer it at its terminal/,
      );
  });

  it("an MCP server's request for input: answered step by step with an option or text; on the CLI's own dialog, at its terminal", () => {
    const request: BlockingDialogView = {
      kind: 'mcp_input',
      text: 'MCP server “deployer” asks for input: Where should it go?',
      options: [
        { key: '1', label: 'Fill it in' },
        { key: '2', label: 'Decline' },
      ],
    };
    expect(howToGetPast(request)).toBe(
      'an MCP server asks for input: answer it with POST /v1/sessions/:id/answer (`mission answer`, mission_pty_answer), {"option": "<key>"} for one of: 1: Fill it in; 2: Decline, or {"text": "…"} where it takes text',
    );
    expect(howToGetPast({ kind: 'mcp_input', text: 'MCP server “deployer” requests your input', options: [] })).toBe(
      "an MCP server asks for input on the CLI's own dialog (a form, or a page to open): answer it at the session's terminal (`mission attach`, or the web console), or interrupt the session (Esc cancels it)",
    );
  });

  it('an ended or lost session is resumed by any client', () => {
    expect(howToResume('ses_1')).toBe('resume it with POST /v1/sessions/ses_1/resume (`mission resume ses_1`, mission_pty_resume)');
  });

  it('a session waiting for a permission answer goes on once its approval is decided, or its dialog answered while none is open', () => {
    expect(howToDecide('appr_1')).toBe(
      'decide approval appr_1 first (`mission approve appr_1` or --deny, POST /v1/approvals/appr_1/approve or /deny, mission_approve)',
    );
    expect(howToDecide(null)).toBe('confirm or deny it first (POST /v1/sessions/:id/confirm, mission_pty_confirm)');
  });
});
