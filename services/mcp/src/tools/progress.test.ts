import type { MissionEvent } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { progressMessage } from './progress.ts';

const event = (draft: Pick<MissionEvent, 'type' | 'payload'>): MissionEvent =>
  ({ id: 'evt_1', ownerKind: 'task', ownerId: 'task_1', seq: 1, at: '2026-12-05T00:00:00.000Z', ...draft }) as MissionEvent;

describe('progressMessage', () => {
  it("tells a background command's end in the CLI's words", () => {
    const notice = event({
      type: 'notice',
      payload: { kind: 'task_notification', text: 'Background command "Run the check" completed (exit code 0)' },
    });
    expect(progressMessage(notice)).toBe('notice: Background command "Run the check" completed (exit code 0)');
  });

  it('names who said a message: Claude, or the subagent whose it is', () => {
    expect(progressMessage(event({ type: 'assistant_message', payload: { text: 'Done.' } }))).toBe('claude: Done.');
    const agents = event({ type: 'assistant_message', payload: { text: 'Read it.', subagent: { id: 'a1', type: 'general-purpose' } } });
    expect(progressMessage(agents)).toBe('subagent general-purpose: Read it.');
  });

  it('gives any other event its type', () => {
    expect(progressMessage(event({ type: 'result', payload: { text: 'ok', isError: false } }))).toBe('result');
  });
});
