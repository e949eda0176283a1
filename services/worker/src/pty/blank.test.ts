import { describe, expect, it } from 'vitest';
import { isBlank } from './blank.ts';

describe('isBlank', () => {
  it('is true of every UTF-16 unit a regular expression calls a blank (\\s), and of no other', () => {
    let blanks = 0;
    for (let code = 0; code <= 0xffff; code++) {
      expect(isBlank(code), `U+${code.toString(16)}`).toBe(/\s/.test(String.fromCharCode(code)));
      if (isBlank(code)) blanks++;
    }
    expect(blanks).toBeGreaterThan(20);
  });

  it('is false of no character at all (NaN: the last character of an empty line)', () => {
    expect(isBlank(''.charCodeAt(-1))).toBe(false);
  });
});
