import type { ClaudeQuestion } from '@mission/contracts';
import { ElicitRequestFormParamsSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { decisionOf, questionsForm, takesFormElicitation } from './questionForm.ts';

const database: ClaudeQuestion = {
  question: 'Which database should we use?',
  header: 'Database',
  options: [
    { label: 'Postgres', description: 'The relational one' },
    { label: 'SQLite', description: '' },
  ],
  multiSelect: false,
};
const caches: ClaudeQuestion = {
  question: 'Which caches should it keep?',
  header: '',
  options: [
    { label: 'Sessions', description: '' },
    { label: 'Pages', description: '' },
    { label: 'Queries', description: '' },
  ],
  multiSelect: true,
};

describe('takesFormElicitation', () => {
  it('is true for a client that declared forms, or elicitation before the spec had modes; false otherwise', () => {
    expect(takesFormElicitation({ elicitation: {} })).toBe(true);
    expect(takesFormElicitation({ elicitation: { form: {}, url: {} } })).toBe(true);
    expect(takesFormElicitation({ elicitation: { url: {} } })).toBe(false);
    expect(takesFormElicitation({ roots: { listChanged: true } })).toBe(false);
    expect(takesFormElicitation(undefined)).toBe(false);
  });
});

describe('questionsForm', () => {
  it('asks each question with its options numbered from 1 (several for a pick-any) and a field for words, in a form the SDK takes', () => {
    const form = questionsForm([database, caches], 'coder');
    expect(ElicitRequestFormParamsSchema.parse(form)).toEqual(form);
    expect(form.message).toBe(
      'Claude, working on your ask on slot coder, has 2 questions for you. Pick an option or answer in your own words; decline to let it go on with its best judgment.',
    );
    expect(form.requestedSchema.properties).toEqual({
      q1: {
        type: 'string',
        title: 'Database',
        description: 'Which database should we use?',
        oneOf: [
          { const: '1', title: 'Postgres: The relational one' },
          { const: '2', title: 'SQLite' },
        ],
      },
      q1_words: {
        type: 'string',
        title: 'Database: in your own words',
        description: 'Instead of an option: your answer to "Which database should we use?"',
      },
      q2: {
        type: 'array',
        title: 'Question 2',
        description: 'Which caches should it keep? (pick any)',
        items: {
          anyOf: [
            { const: '1', title: 'Sessions' },
            { const: '2', title: 'Pages' },
            { const: '3', title: 'Queries' },
          ],
        },
      },
      q2_words: {
        type: 'string',
        title: 'Question 2: in your own words',
        description: 'Instead of an option: your answer to "Which caches should it keep?"',
      },
    });
    expect(form.requestedSchema.required).toBeUndefined();
  });
});

describe('decisionOf', () => {
  it('approves with the options picked, or the words, which win over an option', () => {
    expect(decisionOf([database, caches], { action: 'accept', content: { q1: '2', q2: ['1', '3'] } })).toEqual({
      approve: [{ option: '2' }, { option: '1,3' }],
    });
    expect(decisionOf([database], { action: 'accept', content: { q1: '1', q1_words: '  MariaDB, please ' } })).toEqual({
      approve: [{ text: 'MariaDB, please' }],
    });
  });

  it('denies with a reason Claude reads: declined, dismissed, or some questions left blank (saying what was answered)', () => {
    expect(decisionOf([database], { action: 'decline' })).toEqual({
      deny: 'The person declined to answer your questions. Go on with your best judgment and say what you assumed.',
    });
    expect(decisionOf([database], { action: 'cancel' })).toEqual({
      deny: 'Your questions were dismissed without an answer. Go on with your best judgment and say what you assumed.',
    });
    expect(decisionOf([database, caches], { action: 'accept', content: { q2: ['2', '3'], q1_words: ' ' } })).toEqual({
      deny:
        'The person answered only some of your questions: "Which database should we use?" was not answered, ' +
        '"Which caches should it keep?"="Pages, Queries". Go on with your best judgment and say what you assumed.',
    });
    expect(decisionOf([database, caches], { action: 'accept', content: { q1_words: '' } })).toEqual({
      deny: 'The person gave no answer to your questions. Go on with your best judgment and say what you assumed.',
    });
  });
});
