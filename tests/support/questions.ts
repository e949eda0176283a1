import type { Scenario } from './scenarios.ts';
import type { StubReply } from './stubAnthropic.ts';

/**
 * Questions Claude puts to the person in the tests (the input of Claude Code's AskUserQuestion tool), shared by
 * the live tests (tests/session-questions.test.ts) and the recorder of the CLI's own (tests/fixtures/recordQuestions.ts).
 */
export const DATABASE_QUESTION = {
  question: 'Which database should we use?',
  header: 'Database',
  options: [
    { label: 'Postgres', description: 'The relational one' },
    { label: 'SQLite', description: 'The embedded one' },
  ],
  multiSelect: false,
};

/** One that lets several options be picked. */
export const CACHES_QUESTION = {
  question: 'Which caches should it keep?',
  header: 'Caches',
  options: [
    { label: 'Sessions', description: 'Who is logged in' },
    { label: 'Pages', description: 'Rendered pages' },
    { label: 'Queries', description: 'Query results' },
  ],
  multiSelect: true,
};

/**
 * Claude's question as the CLI draws it when no hook holds it (the screen driver's case): a pick-any question, then
 * one answered in words, then the review of the answers — each screen recorded as a person at the terminal answers
 * it (tests/fixtures/record.ts writes tests/fixtures/claude/<version>/question-form.json).
 */
export const questionFormScenario: Scenario = {
  name: 'question-form',
  prepare: ({ stub }) => {
    const replies: StubReply[] = [
      {
        text: 'I need to know first.',
        toolUses: [{ id: 'toolu_form', name: 'AskUserQuestion', input: { questions: [CACHES_QUESTION, DATABASE_QUESTION] } }],
      },
      { text: 'Sessions and queries cached, on MariaDB.' },
    ];
    stub.respond((request) => (request.tools.length > 0 ? replies.shift() : { text: 'side request' }));
  },
  steps: [
    { waitFor: ['? for shortcuts'], checkpoint: 'idle' },
    { send: 'set up storage' },
    { waitFor: ['Which caches should it keep?', '[ ] Type something'], checkpoint: 'pick-any' },
    { keys: '1' },
    { waitFor: ['[✔] Sessions'], checkpoint: 'one-ticked' },
    { keys: '3' },
    { waitFor: ['[✔] Sessions', '[✔] Queries'], checkpoint: 'pick-any-ticked' },
    { keys: '\x1b[C' },
    { waitFor: ['Which database should we use?', '3. Type something.'], checkpoint: 'single' },
    { keys: '3' },
    { waitFor: ['❯ 3. Type something.'], checkpoint: 'words-entry' },
    { keys: 'MariaDB, please' },
    { waitFor: ['❯ 3. MariaDB, please'], checkpoint: 'words-typed' },
    { keys: '\r' },
    { waitFor: ['Review your answers', '→ MariaDB, please'], checkpoint: 'review' },
    { keys: '1' },
    { waitFor: ['Sessions and queries cached, on MariaDB.', '? for shortcuts'], checkpoint: 'answered' },
  ],
};

/**
 * What Mission reads off the three screens of {@link questionFormScenario}'s form (the recording's and a live CLI's
 * alike): the pick-any question, the question answered in words (read the same when it is asked alone, under its
 * header and no tab bar: hooks/question-one.json), and the review once both are answered.
 */
export const QUESTION_FORM_READINGS = {
  pickAny: {
    kind: 'question',
    text: [
      'Which caches should it keep?',
      'Sessions: Who is logged in',
      'Pages: Rendered pages',
      'Queries: Query results',
      'Pick any: several keys separated by commas (1,2).',
    ].join('\n'),
    options: [
      { key: '1', label: 'Sessions' },
      { key: '2', label: 'Pages' },
      { key: '3', label: 'Queries' },
    ],
  },
  single: {
    kind: 'question',
    text: 'Which database should we use?\nPostgres: The relational one\nSQLite: The embedded one\nOr an answer in your own words.',
    options: [
      { key: '1', label: 'Postgres' },
      { key: '2', label: 'SQLite' },
    ],
  },
  review: {
    kind: 'question',
    text: 'Review your answers\n● Which caches should it keep?\n→ Sessions, Queries\n● Which database should we use?\n→ MariaDB, please',
    options: [
      { key: '1', label: 'Submit answers' },
      { key: '2', label: 'Cancel' },
    ],
  },
};
