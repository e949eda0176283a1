import type { MissionEvent } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { notificationKindOf } from './kinds.ts';

const event = (ownerKind: 'task' | 'session', type: string, payload: unknown) =>
  ({ ownerKind, ownerId: 'x', seq: 1, at: '', type, payload }) as MissionEvent;

describe('notificationKindOf: the events notifications come from', () => {
  it('maps task ends, session states, approvals and spent budgets; nothing else', () => {
    expect(notificationKindOf(event('task', 'state', { state: 'succeeded' }))).toBe('task_succeeded');
    expect(notificationKindOf(event('task', 'state', { state: 'failed' }))).toBe('task_failed');
    expect(notificationKindOf(event('task', 'state', { state: 'timed_out' }))).toBe('task_failed');
    expect(notificationKindOf(event('task', 'state', { state: 'cancelled' }))).toBeUndefined();
    expect(notificationKindOf(event('task', 'state', { state: 'running' }))).toBeUndefined();
    expect(notificationKindOf(event('session', 'state', { state: 'blocked' }))).toBe('blocked');
    expect(notificationKindOf(event('session', 'state', { state: 'idle' }))).toBe('needs_input');
    expect(notificationKindOf(event('session', 'state', { state: 'lost' }))).toBe('session_lost');
    expect(notificationKindOf(event('session', 'state', { state: 'working' }))).toBeUndefined();
    expect(
      notificationKindOf(event('session', 'approval_requested', { approvalId: 'a', tool: 'Bash', input: {}, rule: null, expiresAt: '' })),
    ).toBe('approval_requested');
    expect(notificationKindOf(event('task', 'error', { code: 'budget_exhausted', message: 'spent' }))).toBe('budget_exhausted');
    expect(notificationKindOf(event('task', 'error', { code: 'spawn_failed', message: 'no' }))).toBeUndefined();
    expect(notificationKindOf(event('task', 'slot_paused', { slot: 's', until: '', reason: 'limit' }))).toBe('slot_paused');
    expect(notificationKindOf(event('session', 'slot_resumed', { slot: 's', by: 'reset' }))).toBe('slot_resumed');
    expect(notificationKindOf(event('session', 'assistant_message', { text: 'hi' }))).toBeUndefined();
  });
});
