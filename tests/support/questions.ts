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
