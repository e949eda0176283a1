import { describe, expect, it } from 'vitest';
import { isInertLine } from './screenParser.ts';

describe('isInertLine', () => {
  it('judges a line the same however often it is asked, also once its verdicts were forgotten', () => {
    const header = ' ▐▛███▛█   Claude Code v2.1.331';
    const block = '● Hello.';
    for (let round = 0; round < 3; round++) {
      expect(isInertLine(header)).toBe(true);
      expect(isInertLine(block)).toBe(false);
      expect(isInertLine('')).toBe(false);
      // More lines than are kept: the verdicts are forgotten and judged again.
      for (let i = 0; i < 300; i++) expect(isInertLine(`${'x'.repeat(i % 7)} frame ${round} ${i}`)).toBe(true);
    }
  });
});
