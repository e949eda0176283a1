import { describe, expect, it } from 'vitest';
import { turnText } from './sessionTurn.ts';

describe('turnText', () => {
  it('prints the reply, or the question Claude asks with its options and the command that answers it', () => {
    expect(turnText('ses_1', { state: 'idle', response: 'Done.', dialog: null, approval: null })).toBe('Done.');
    expect(
      turnText('ses_1', {
        state: 'blocked',
        response: null,
        dialog: null,
        approval: null,
        blocking: {
          kind: 'question',
          text: 'Database: Which database should we use?\nOr an answer in your own words.',
          options: [
            { key: '1', label: 'Postgres' },
            { key: '2', label: 'SQLite' },
          ],
        },
      }),
    ).toBe(
      [
        'ses_1: Claude asks',
        'Database: Which database should we use?',
        'Or an answer in your own words.',
        '  1. Postgres',
        '  2. SQLite',
        'mission answer ses_1 <option> (or --text "<your answer>")',
      ].join('\n'),
    );
  });

  it("prints an MCP server's request for input the same way, saying who asks", () => {
    expect(
      turnText('ses_1', {
        state: 'blocked',
        response: null,
        dialog: null,
        approval: null,
        blocking: {
          kind: 'mcp_input',
          text: 'MCP server “deployer”: Note (field 3 of 3, optional)\nAnswer with text: words.',
          options: [{ key: '0', label: 'Leave it unset' }],
        },
      }),
    ).toBe(
      [
        'ses_1: an MCP server asks for input',
        'MCP server “deployer”: Note (field 3 of 3, optional)',
        'Answer with text: words.',
        '  0. Leave it unset',
        'mission answer ses_1 <option> (or --text "<your answer>")',
      ].join('\n'),
    );
  });
});
