import fs from 'node:fs';
import path from 'node:path';

/** README.md and every Markdown page under docs/, as absolute paths. */
export function docFiles(repoRoot: string): string[] {
  const pages = fs.readdirSync(path.join(repoRoot, 'docs'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.md'));
  return [path.join(repoRoot, 'README.md'), ...pages.sort().map((name) => path.join(repoRoot, 'docs', name))];
}

/** The text outside fenced code blocks (``` … ```), line by line. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** The targets of the inline links `[text](target)` outside code that do not name a scheme (http:, mailto:, …). */
export function relativeLinks(markdown: string): string[] {
  const prose = proseLines(markdown)
    .map((line) => line.replace(/`[^`]*`/g, ''))
    .join('\n');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The anchors GitHub gives the headings of a page: their text lower-cased, punctuation dropped, spaces as hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
