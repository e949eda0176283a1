import fs from 'node:fs';
import { envSchema } from '@mission/shared';
import { describe, expect, it } from 'vitest';

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every environment variable the config reads', () => {
    const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
    expect([...Object.keys(envSchema.shape)].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
