import type { MissionEvent } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { buildNotification, renderRequest } from './render.ts';

const blockedEvent = (payload: Record<string, unknown>): MissionEvent =>
  ({
    ownerKind: 'session',
    ownerId: 'ses_1',
    seq: 4,
    type: 'state',
    payload: { state: 'blocked', ...payload },
    at: '2026-12-03T20:00:00.000Z',
  }) as MissionEvent;
const notified = (event: MissionEvent) => buildNotification({ id: 'ntf_1', kind: 'blocked', event, slot: 'default', role: 'default' });

describe('the notification of a blocked session', () => {
  it('tells the person what gets the session past its dialog', () => {
    const event = blockedEvent({
      reason: 'trust_folder: Do you trust the files in this folder?',
      blocking: {
        kind: 'trust_folder',
        text: 'Do you trust the files in this folder?',
        options: [
          { key: '1', label: 'Yes, proceed' },
          { key: '2', label: 'No, exit' },
        ],
      },
    });
    expect(notified(event)).toMatchObject({
      title: 'Blocked on default',
      text: 'session ses_1 is blocked: trust_folder: Do you trust the files in this folder?; answer it first with POST /v1/sessions/:id/answer (`mission answer`, mission_pty_answer), one of: 1: Yes, proceed; 2: No, exit',
    });
    const login = blockedEvent({
      reason: 'login_required: Not logged in',
      blocking: { kind: 'login_required', text: 'Not logged in', options: [] },
    });
    expect(notified(login).text).toMatch(
      /^session ses_1 is blocked: login_required: Not logged in; claude has no credentials on its worker/,
    );
  });

  it('a question Claude asks is told as one, with its options and how to answer it', () => {
    const question = blockedEvent({
      reason: 'question: Database: Which database should we use?',
      blocking: {
        kind: 'question',
        text: 'Database: Which database should we use?\nOr an answer in your own words.',
        options: [
          { key: '1', label: 'Postgres' },
          { key: '2', label: 'SQLite' },
        ],
      },
    });
    expect(notified(question)).toMatchObject({
      title: 'Claude asks on default',
      text:
        'session ses_1 asks: Database: Which database should we use?\nOr an answer in your own words.; Claude asks a question: answer it with ' +
        'POST /v1/sessions/:id/answer (`mission answer`, mission_pty_answer), {"option": "<key>"} for one of: 1: Postgres; 2: SQLite, or {"text": "<your own words>"}',
    });
  });

  it("an MCP server's request for input says so, with how to answer it", () => {
    const request = blockedEvent({
      reason: 'mcp_input: MCP server “deployer” asks for input: Where should it go?',
      blocking: {
        kind: 'mcp_input',
        text: 'MCP server “deployer” asks for input: Where should it go?',
        options: [
          { key: '1', label: 'Fill it in' },
          { key: '2', label: 'Decline' },
        ],
      },
    });
    expect(notified(request)).toMatchObject({
      title: 'Input needed on default',
      text: expect.stringMatching(
        /^session ses_1: MCP server “deployer” asks for input: Where should it go\?; an MCP server asks for input: answer it with POST/,
      ),
    });
  });

  it('an event of before the dialog was told with it says what it said then', () => {
    expect(notified(blockedEvent({ reason: 'trust_folder: Trust?' })).text).toBe('session ses_1 is blocked: trust_folder: Trust?');
  });
});

describe('the notification of an approval', () => {
  const approvalEvent = (payload: Record<string, unknown>): MissionEvent =>
    ({
      ownerKind: 'task',
      ownerId: 'task_1',
      seq: 3,
      type: 'approval_requested',
      payload: {
        approvalId: 'appr_1',
        tool: 'Write',
        input: { file_path: '.claude/settings.json' },
        rule: null,
        expiresAt: '',
        ...payload,
      },
      at: '2026-12-03T20:00:00.000Z',
    }) as MissionEvent;
  const asked = (event: MissionEvent) =>
    buildNotification({ id: 'ntf_2', kind: 'approval_requested', event, slot: 'default', role: 'editor' });

  it('says why a person is asked when no rule asked', () => {
    expect(asked(approvalEvent({ why: "it writes .claude/settings.json, Claude Code's own settings" })).text).toBe(
      'task task_1 asks to use Write: {"file_path":".claude/settings.json"}; it writes .claude/settings.json, Claude Code\'s own settings',
    );
    expect(asked(approvalEvent({})).text).toBe('task task_1 asks to use Write: {"file_path":".claude/settings.json"}');
  });

  it("a task's question is told with its questions and options, and answered on its page: ntfy offers no one-tap yes", () => {
    const questions = [
      { question: 'Which database?', header: 'Database', options: [{ label: 'Postgres' }, { label: 'SQLite' }], multiSelect: false },
    ];
    const event = approvalEvent({ tool: 'AskUserQuestion', input: { questions } });
    const links = {
      approvalId: 'appr_1',
      page: 'https://m/approvals/t',
      approve: 'https://m/approvals/t/approve',
      deny: 'https://m/approvals/t/deny',
      expiresAt: '',
    };
    const notification = buildNotification({
      id: 'ntf_3',
      kind: 'approval_requested',
      event,
      slot: 'default',
      role: 'editor',
      approval: links,
    });
    expect(notification).toMatchObject({
      title: 'Claude asks on default',
      text: "task task_1 asks: 1. Which database? (1: Postgres; 2: SQLite); answer on the approval's page",
    });
    const ntfy = JSON.parse(renderRequest('ntfy', 'https://ntfy.sh/mission', notification).body) as { actions: unknown[] };
    expect(ntfy.actions).toEqual([{ action: 'view', label: 'Answer', url: 'https://m/approvals/t' }]);
  });
});
