import { describe, expect, it } from 'vitest';
import { answerQuestions, QuestionForm, questionsAsked, questionsOf } from './claudeQuestions.ts';

const database = {
  question: 'Which database?',
  header: 'Database',
  options: [
    { label: 'Postgres', description: 'Relational' },
    { label: 'SQLite', description: '' },
  ],
  multiSelect: false,
};
const caches = { question: 'Which caches?', header: '', options: [{ label: 'A' }, { label: 'B' }, { label: 'C' }], multiSelect: true };

describe('questionsOf', () => {
  it("reads the CLI's AskUserQuestion input", () => {
    expect(questionsOf({ questions: [database, caches] })).toEqual([
      database,
      { ...caches, options: caches.options.map((option) => ({ ...option, description: '' })) },
    ]);
  });

  it('puts nothing to a person for an input the CLI would not take, or one that carries its answers already', () => {
    expect(questionsOf({})).toBeNull();
    expect(questionsOf({ questions: [] })).toBeNull();
    expect(questionsOf({ questions: [{ header: 'no question', options: [] }] })).toBeNull();
    expect(questionsOf({ questions: [{ question: 'q?', options: [{ description: 'no label' }] }] })).toBeNull();
    expect(questionsOf({ questions: [database], answers: { 'Which database?': 'SQLite' } })).toBeNull();
  });
});

describe('QuestionForm', () => {
  it('shows one question at a time and gives the answers by question text, a pick-any as a list', () => {
    const form = new QuestionForm(questionsOf({ questions: [database, caches] })!);
    expect(form.dialog).toEqual({
      kind: 'question',
      text: 'Database: Which database? (question 1 of 2)\nPostgres: Relational\nOr an answer in your own words.',
      options: [
        { key: '1', label: 'Postgres' },
        { key: '2', label: 'SQLite' },
      ],
      numbered: true,
      selected: null,
    });
    expect(form.answer({ option: '2' })).toBe(false);
    expect(form.dialog.text).toBe(
      'Which caches? (question 2 of 2)\nPick any: several keys separated by commas (1,2), or an answer in your own words.',
    );
    expect(form.answer({ option: '3,1,3' })).toBe(true);
    expect(form.answered).toEqual({ 'Which database?': 'SQLite', 'Which caches?': 'C, A' });
  });

  it("takes an answer in the person's own words", () => {
    const form = new QuestionForm(questionsOf({ questions: [database] })!);
    expect(form.dialog.text).not.toContain('question 1 of 1');
    expect(form.answer({ text: 'MySQL' })).toBe(true);
    expect(form.answered).toEqual({ 'Which database?': 'MySQL' });
  });

  it('refuses a key that is no option, and several keys where one is asked for, keeping the question open', () => {
    const form = new QuestionForm(questionsOf({ questions: [database] })!);
    expect(() => form.answer({ option: '3' })).toThrow("the question has no option '3'; it offers 1: Postgres; 2: SQLite");
    expect(() => form.answer({ option: '0' })).toThrow("the question has no option '0'");
    expect(() => form.answer({ option: '1,2' })).toThrow('the question takes one option, not 2 (1,2)');
    expect(form.answer({ option: '1' })).toBe(true);
  });
});

describe('answerQuestions', () => {
  const questions = questionsOf({ questions: [database, caches] })!;

  it('answers every question at once, in order, as the CLI takes them', () => {
    expect(answerQuestions(questions, [{ text: 'MySQL' }, { option: '2,3' }])).toEqual({
      'Which database?': 'MySQL',
      'Which caches?': 'B, C',
    });
  });

  it('refuses another count of answers, and names the question an answer does not fit', () => {
    expect(() => answerQuestions(questions, [{ option: '1' }])).toThrow(
      'Claude asks 2 questions: give one answer for each, in order, not 1. 1. Which database? (1: Postgres; 2: SQLite) 2. Which caches? (1: A; 2: B; 3: C; pick any)',
    );
    expect(() => answerQuestions(questions, [{ option: '1' }, { option: '4' }])).toThrow(
      "answer 2 (Which caches?): the question has no option '4'; it offers 1: A; 2: B; 3: C",
    );
  });
});

describe('questionsAsked', () => {
  it("gives the questions of Claude's AskUserQuestion call only", () => {
    expect(questionsAsked({ tool: 'AskUserQuestion', input: { questions: [database] } })).toEqual(questionsOf({ questions: [database] }));
    expect(questionsAsked({ tool: 'Write', input: { questions: [database] } })).toBeNull();
  });
});
