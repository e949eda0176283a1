import { describe, expect, it } from 'vitest';
import type { MissionEvent } from './api/types.ts';
import { eventTypes } from '@mission/contracts';
import { describeEvent, EVENT_TYPES } from './events.ts';
import { clip, formatUsd } from './format.ts';

/** An event with only the payload fields a case reads (the contract's type asks for all of them). */
const event = (type: string, payload: Record<string, unknown>): MissionEvent =>
  ({ type, payload, ownerKind: 'session', ownerId: 'ses_1', seq: 1, at: '2026-11-25T00:00:00Z' }) as unknown as MissionEvent;

describe('how the console shows events', () => {
  it('a conversation: messages, tool calls and outputs', () => {
    expect(describeEvent(event('user_message', { text: 'say hello' }))).toEqual({ kind: 'user', title: 'Prompt', body: 'say hello' });
    expect(describeEvent(event('assistant_message', { text: 'Hello' }))).toEqual({ kind: 'assistant', title: 'Claude', body: 'Hello' });
    expect(describeEvent(event('tool_call', { tool: 'Bash', input: { args: 'ls' }, summary: 'ls' }))).toEqual({
      kind: 'tool',
      title: 'Bash(ls)',
    });
    expect(describeEvent(event('tool_call', { tool: 'Write', input: { file_path: 'a' } }))?.title).toBe('Write({\n  "file_path": "a"\n})');
    expect(describeEvent(event('tool_output', { output: 'a.txt', isError: false }))).toEqual({
      kind: 'output',
      title: 'tool output',
      body: 'a.txt',
    });
  });

  it("a subagent's message, tool call and output say they are the agent's", () => {
    const subagent = { id: 'a532148bfa714ffb3', type: 'general-purpose' };
    expect(describeEvent(event('assistant_message', { text: 'The notes say hello.', subagent }))).toEqual({
      kind: 'assistant',
      title: 'subagent general-purpose',
      body: 'The notes say hello.',
    });
    expect(describeEvent(event('tool_call', { tool: 'Read', input: {}, summary: 'notes.txt', subagent }))?.title).toBe(
      'subagent general-purpose: Read(notes.txt)',
    );
    expect(describeEvent(event('tool_output', { output: 'hello', isError: false, subagent: { id: 'a1' } }))?.title).toBe(
      'subagent a1: tool output',
    );
    expect(describeEvent(event('permission_request', { tool: 'Write', input: {}, summary: 'a.txt', options: [], subagent }))?.title).toBe(
      'subagent general-purpose: Write asks permission',
    );
    expect(
      describeEvent(event('approval_requested', { approvalId: 'appr_1', tool: 'Write', input: {}, rule: null, expiresAt: 'x', subagent }))
        ?.title,
    ).toBe('subagent general-purpose: Write waits for an approval (no rule matched)');
  });

  it('permissions: the request, the approval it waits for, and who decided', () => {
    expect(describeEvent(event('permission_request', { tool: 'Write', input: {}, summary: 'a.txt', options: [] }))).toEqual({
      kind: 'permission',
      title: 'Write asks permission',
      body: 'a.txt',
    });
    expect(
      describeEvent(
        event('approval_requested', { approvalId: 'appr_1', tool: 'Write', input: { file_path: 'a.txt' }, rule: 'Edit', expiresAt: '' }),
      )?.title,
    ).toBe('Write waits for an approval (rule Edit)');
    expect(describeEvent(event('permission_decision', { tool: 'Write', decision: 'allow', by: 'token:me', rule: 'Edit' }))).toEqual({
      kind: 'decision',
      title: 'Write allowed by token:me (rule Edit)',
    });
    expect(describeEvent(event('permission_decision', { tool: 'Bash', decision: 'deny', by: 'policy', reason: 'no' }))).toEqual({
      kind: 'decision',
      title: 'Bash denied by policy',
      body: 'no',
    });
  });

  it('results, errors and states; spinner status and titles stay out of the log', () => {
    expect(describeEvent(event('result', { text: '4', isError: false, costUsd: 0.0123, durationMs: 1500, numTurns: 1 }))).toEqual({
      kind: 'result',
      title: 'result · $0.0123 · 1.5 s · 1 turn',
      body: '4',
    });
    expect(
      describeEvent(event('result', { text: 'API Error', isError: true, costUsd: null, durationMs: null, numTurns: null }))?.kind,
    ).toBe('error');
    expect(describeEvent(event('error', { code: 'worker_lost', message: 'gone' }))).toEqual({
      kind: 'error',
      title: 'error worker_lost',
      body: 'gone',
    });
    expect(describeEvent(event('state', { state: 'lost', reason: 'worker died' }))).toEqual({
      kind: 'state',
      title: '→ lost: worker died',
    });
    expect(describeEvent(event('status', { text: 'Thinking…' }))).toBeNull();
    expect(describeEvent(event('title', { title: 'x' }))).toBeNull();
  });

  it('messages between sessions: sent, received, and how each went on', () => {
    expect(describeEvent(event('message_sent', { messageId: 'msg_1', to: 'ses_b', text: 'review this', status: 'queued' }))).toEqual({
      kind: 'message',
      title: 'message to ses_b (queued)',
      body: 'review this',
    });
    expect(describeEvent(event('message_received', { messageId: 'msg_1', from: null, text: 'hi', status: 'queued' }))?.title).toBe(
      'message from the operator (queued)',
    );
    expect(describeEvent(event('message_status', { messageId: 'msg_1', status: 'answered', reply: 'done' }))).toEqual({
      kind: 'message',
      title: 'message msg_1 answered',
      body: 'done',
    });
    expect(describeEvent(event('message_status', { messageId: 'msg_1', status: 'failed', error: 'the session ended' }))).toEqual({
      kind: 'error',
      title: 'message msg_1 failed',
      body: 'the session ended',
    });
    expect(
      describeEvent(event('slot_paused', { slot: 'dev', until: '2026-11-30T12:00:00.000Z', reason: "You've hit your 5-hour limit" })),
    ).toEqual({
      kind: 'error',
      title: 'usage limit: slot dev paused until 2026-11-30T12:00:00.000Z',
      body: "You've hit your 5-hour limit",
    });
    expect(describeEvent(event('slot_resumed', { slot: 'dev', by: 'reset' }))).toEqual({
      kind: 'state',
      title: 'slot dev resumed (its usage limit reset)',
    });
  });

  it('the live stream listens for every event type the API has', () => {
    expect([...EVENT_TYPES].sort()).toEqual([...eventTypes].sort());
  });

  it('dollars and clipped texts', () => {
    expect(clip('short')).toBe('short');
    expect(clip('first line\nsecond')).toBe('first line…');
    expect(clip('x'.repeat(100), 10)).toBe(`${'x'.repeat(10)}…`);
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.12)).toBe('$0.1200');
    expect(formatUsd(12.5)).toBe('$12.50');
  });
});
