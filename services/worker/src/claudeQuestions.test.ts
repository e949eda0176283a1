import { questionsOf } from '@mission/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClaudeQuestionAsk, HeldAsk } from './claudeQuestions.ts';

const database = {
  question: 'Which database?',
  header: 'Database',
  options: [
    { label: 'Postgres', description: 'Relational' },
    { label: 'SQLite', description: '' },
  ],
  multiSelect: false,
};

describe("HeldAsk of Claude's question", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const decision = async (held: HeldAsk) =>
    ((await held.settled) as { hookSpecificOutput: { decision: Record<string, unknown> } }).hookSpecificOutput.decision;

  it("answers the CLI's hook with the input and its answers once every question is answered", async () => {
    const input = { questions: [database] };
    const held = new HeldAsk(new ClaudeQuestionAsk(input, questionsOf(input)!), 60_000);
    expect(held.answer({ option: '1' })).toBe(true);
    expect(await decision(held)).toEqual({ behavior: 'allow', updatedInput: { ...input, answers: { 'Which database?': 'Postgres' } } });
    expect(held.ended).toBe('answered');
    expect(() => held.answer({ option: '1' })).toThrow('the question is no longer open (answered)');
  });

  it('tells Claude nobody answered once its window passes, and that the person interrupted when withdrawn', async () => {
    vi.useFakeTimers();
    const input = { questions: [database] };
    const unanswered = new HeldAsk(new ClaudeQuestionAsk(input, questionsOf(input)!), 15 * 60_000);
    vi.advanceTimersByTime(15 * 60_000);
    expect(unanswered.ended).toBe('unanswered');
    expect(unanswered.unansweredNotice).toEqual({
      kind: 'question_unanswered',
      text: "nobody answered Claude's question within 15 min: Claude was told to go on without it",
    });
    expect(await decision(unanswered)).toEqual({
      behavior: 'deny',
      message:
        'Nobody answered within 15 minutes: the person may be away. Go on with your best judgment and say what you assumed; ask again later if it still matters.',
    });

    const withdrawn = new HeldAsk(new ClaudeQuestionAsk(input, questionsOf(input)!), 60_000);
    withdrawn.withdraw();
    withdrawn.hangUp();
    expect(withdrawn.ended).toBe('withdrawn');
    expect(await decision(withdrawn)).toEqual({
      behavior: 'deny',
      message: 'The person interrupted instead of answering.',
      interrupt: true,
    });
  });

  it('answers nothing to a CLI that hung up', async () => {
    const input = { questions: [database] };
    const held = new HeldAsk(new ClaudeQuestionAsk(input, questionsOf(input)!), 60_000);
    held.hangUp();
    expect(held.ended).toBe('hung_up');
    expect(await held.settled).toEqual({});
  });
});
