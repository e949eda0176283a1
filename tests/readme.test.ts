import fs from 'node:fs';
import path from 'node:path';
import { envSchema } from '@mission/store';
import { describe, expect, it } from 'vitest';
import { docFiles } from './support/markdown.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
/** The README and every page under docs/: the reference moved there. */
const allDocs = docFiles(repoRoot)
  .map((file) => fs.readFileSync(file, 'utf8'))
  .join('\n');

describe('README', () => {
  it('documents every environment variable the config reads (in the README or a page under docs/)', () => {
    const documented = new Set([...allDocs.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
    expect([...Object.keys(envSchema.shape)].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });

  it('stays what a user needs first: at most 300 lines, the reference in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });
});
