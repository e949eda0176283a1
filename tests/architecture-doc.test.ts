import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..');
const doc = fs.readFileSync(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
const codeMap = doc.slice(doc.indexOf('## Code map'), doc.indexOf('### Where to start'));

/** The code map's blocks: a package or service (`**\`dir\`**`) and the lines under it. */
function blocks(): { dir: string; text: string }[] {
  return codeMap
    .split(/^(?=\*\*`)/m)
    .slice(1)
    .map((block) => ({ dir: /^\*\*`([^`]+)`\*\*/.exec(block)![1]!, text: block }));
}

describe('docs/architecture.md', () => {
  it('has the three flows: REST task → worker → events, PTY keystrokes and screen, an MCP call', () => {
    expect(doc).toMatch(/^## Flow 1: a REST task → worker → events$/m);
    expect(doc).toMatch(/^## Flow 2: .*PTY keystrokes and screen$/m);
    expect(doc).toMatch(/^## Flow 3: an MCP call$/m);
  });

  it('its code map names every package and service of the repository', () => {
    const named = blocks().map((block) => block.dir.replace(/\/$/, ''));
    const onDisk = ['packages', 'services'].flatMap((parent) =>
      fs
        .readdirSync(path.join(repoRoot, parent), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(repoRoot, parent, entry.name, 'package.json')))
        .map((entry) => `${parent}/${entry.name}`),
    );
    expect(onDisk.filter((dir) => !named.includes(dir))).toEqual([]);
  });

  it('every module its code map names exists (under the package, its src/, the folder its line is about, or the repository)', () => {
    const missing = blocks().flatMap(({ dir, text }) =>
      text.split('\n').flatMap((line) => {
        const folder = /^- `([\w/-]+\/)`/.exec(line)?.[1] ?? '';
        const places = [path.join(dir, 'src'), dir, path.join(dir, 'src', folder), path.join(dir, folder), '.'];
        return [...line.matchAll(/`([\w./-]+(?:\.m?ts|\/))`/g)]
          .map((m) => m[1]!)
          .filter((name) => !places.some((place) => fs.existsSync(path.join(repoRoot, place, name))))
          .map((name) => `${dir}: ${name}`);
      }),
    );
    expect(missing).toEqual([]);
  });
});
