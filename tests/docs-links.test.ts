import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { docFiles, headingAnchors, relativeLinks } from './support/markdown.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const docs = docFiles(repoRoot);

/** What `target` (a link written in `file`) points at, or why it points nowhere in the repository. */
function brokenLink(file: string, target: string): string | undefined {
  const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
  if (path.relative(repoRoot, resolved).startsWith('..')) return 'points outside the repository';
  if (!fs.existsSync(resolved)) return 'no such file';
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  return headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor) ? undefined : `no heading #${anchor} there`;
}

describe('links in README.md and docs/', () => {
  it('reads the README and every page under docs/', () => {
    expect(docs.map((file) => path.relative(repoRoot, file))).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/configuration.md']),
    );
  });

  it('every relative link resolves to a file in the repository (and a heading there, when it names one)', () => {
    const broken = docs.flatMap((file) =>
      relativeLinks(fs.readFileSync(file, 'utf8')).flatMap((target) => {
        const why = brokenLink(file, target);
        return why ? [`${path.relative(repoRoot, file)}: (${target}) ${why}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });

  it('the link reader finds links and anchors as GitHub renders them', () => {
    const text = [
      '# The `mission` command',
      '## Agent-raised approvals and receipts (the gate)',
      '## Notes',
      '## Notes',
      'See [a](docs/a.md#x), [b](#the-mission-command) and [c](https://example.com), `[d](not/a/link.md)`.',
      '```sh',
      '# not a heading',
      'echo "[e](f.md)"',
      '```',
    ].join('\n');
    expect(relativeLinks(text)).toEqual(['docs/a.md#x', '#the-mission-command']);
    expect([...headingAnchors(text)]).toEqual(['the-mission-command', 'agent-raised-approvals-and-receipts-the-gate', 'notes', 'notes-1']);
  });
});
