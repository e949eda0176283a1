import { describe, expect, it } from 'vitest';
import { jsonBytes, jsonDepth } from './jsonLimits.ts';

describe('JSON limits', () => {
  it('measures nesting without parsing; brackets in strings (escaped quotes too) do not count', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[[","b":["\\\\"]}')).toBe(2);
    expect(jsonDepth('[]'.repeat(1000))).toBe(1);
  });

  it('stops early past the limit, so a 2 MB bomb costs one pass at most', () => {
    const bomb = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(jsonDepth(bomb, 64)).toBe(65);
    expect(jsonDepth(bomb)).toBe(1_000_000);
  });

  it('sizes values as UTF-8 JSON', () => {
    expect(jsonBytes({ a: 'é' })).toBe(10);
  });
});
