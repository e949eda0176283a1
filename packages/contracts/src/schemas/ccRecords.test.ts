import { describe, expect, it } from 'vitest';
import { type CcSession, distinctSessions, newestActivityFirst } from './ccRecords.ts';

const session = (id: string, workerId: string, lastActivity: string): CcSession => ({
  id,
  workerId,
  cwd: '/work',
  projectDir: '-work',
  gitBranch: null,
  firstPrompt: 'hi',
  summary: null,
  model: null,
  userMessages: 1,
  assistantMessages: 1,
  toolUses: 0,
  lastActivity,
  inProgress: false,
  todos: [],
});

describe('distinctSessions', () => {
  it('keeps each session once (workers sharing a HOME report it twice), in the order given', () => {
    const reports = [
      session('a', 'w1', '2026-11-25T10:00:00Z'),
      session('b', 'w1', '2026-11-25T09:00:00Z'),
      session('a', 'w2', '2026-11-25T10:00:00Z'),
    ].sort(newestActivityFirst);
    expect(distinctSessions(reports).map((s) => [s.id, s.workerId])).toEqual([
      ['a', 'w1'],
      ['b', 'w1'],
    ]);
  });
});
