import { describe, expect, it } from 'vitest';
import type { MissionEvent } from '@mission/contracts';
import { approvalWaitText, eventText } from './eventText.ts';
import { painter } from './printer.ts';

describe('eventText', () => {
  const at = { ownerKind: 'task', ownerId: 'task_1', seq: 7, at: '2026-12-05T19:00:01.000Z' } as const;
  const line = (event: Pick<MissionEvent, 'type' | 'payload'>) => eventText({ ...at, ...event } as MissionEvent, painter(false));

  it("a subagent's message and tool call are marked as the agent's; Claude's are not", () => {
    const subagent = { id: 'a532148bfa714ffb3', type: 'general-purpose' };
    expect(line({ type: 'assistant_message', payload: { text: 'The notes say hello.', subagent } })).toBe(
      '19:00:01 #7   assistant_message   [subagent general-purpose] The notes say hello.',
    );
    expect(line({ type: 'tool_call', payload: { tool: 'Read', input: {}, summary: 'notes.txt', subagent } })).toBe(
      '19:00:01 #7   tool_call           [subagent general-purpose] Read notes.txt',
    );
    expect(line({ type: 'assistant_message', payload: { text: 'Delegated.' } })).toBe('19:00:01 #7   assistant_message   Delegated.');
  });
});

describe('approvalWaitText', () => {
  it('a tool use: the approval, the tool and its input, the rule that asked, and how to decide it', () => {
    expect(approvalWaitText({ approvalId: 'appr_1', tool: 'Bash', input: { command: 'rm -rf build' }, rule: 'Bash(rm:*)' })).toBe(
      'appr_1 for Bash {"command":"rm -rf build"} (rule Bash(rm:*)); decide with `mission approve appr_1` (--deny to refuse)',
    );
  });

  it('a tool use no rule asked for says why a person decides', () => {
    expect(
      approvalWaitText({ approvalId: 'appr_2', tool: 'Write', input: { file_path: 'a.txt' }, rule: null, why: 'no rule allows it' }),
    ).toBe('appr_2 for Write {"file_path":"a.txt"} (no rule allows it); decide with `mission approve appr_2` (--deny to refuse)');
  });

  it("a subagent's tool use says whose it is", () => {
    expect(
      approvalWaitText({
        approvalId: 'appr_3',
        tool: 'Write',
        input: { file_path: 'a.txt' },
        rule: null,
        why: 'no rule allows it',
        subagent: { id: 'a1', type: 'general-purpose' },
      }),
    ).toBe(
      'appr_3 for [subagent general-purpose] Write {"file_path":"a.txt"} (no rule allows it); decide with `mission approve appr_3` (--deny to refuse)',
    );
  });

  it("Claude's question: its questions with their options, and how to answer them", () => {
    const input = {
      questions: [{ question: 'Which database?', header: 'DB', multiSelect: false, options: [{ label: 'Postgres' }, { label: 'SQLite' }] }],
    };
    expect(approvalWaitText({ approvalId: 'appr_3', tool: 'AskUserQuestion', input, rule: null })).toBe(
      "Claude asks (approval appr_3): 1. Which database? (1: Postgres; 2: SQLite); answer with `mission approve appr_3 --answer …`, one per question (an option's number, or your own words)",
    );
  });
});
