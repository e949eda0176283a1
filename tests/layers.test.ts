import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const sourceFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
const importsOf = (file: string): string[] =>
  [...fs.readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((match) => match[1]!);

/** What a pure module may import: its own package, zod, the shell parser and Node's pure helpers. */
const PURE = [/^\.\.?\//, /^zod$/, /^unbash$/, /^node:crypto$/, /^node:path$/];

describe('layers', () => {
  it('packages/contracts is pure: no database, Redis, queue, logger or file-system import', () => {
    const impure = sourceFiles(path.join(root, 'packages/contracts/src')).flatMap((file) =>
      importsOf(file)
        .filter((spec) => !PURE.some((allowed) => allowed.test(spec)))
        .map((spec) => `${path.relative(root, file)} imports ${spec}`),
    );
    expect(impure).toEqual([]);
  });

  it('the worker never imports the API-side services (core), and contracts imports no other Mission package', () => {
    const offending = [
      ...sourceFiles(path.join(root, 'services/worker/src')).flatMap((file) =>
        importsOf(file)
          .filter((spec) => spec.startsWith('@mission/core'))
          .map((spec) => `${path.relative(root, file)} imports ${spec}`),
      ),
      ...sourceFiles(path.join(root, 'packages/contracts/src')).flatMap((file) =>
        importsOf(file)
          .filter((spec) => spec.startsWith('@mission/'))
          .map((spec) => `${path.relative(root, file)} imports ${spec}`),
      ),
    ];
    expect(offending).toEqual([]);
  });

  it('SQL stays in store: only packages/store imports drizzle-orm or the schema (`tables`)', () => {
    const sqlImports = (file: string): string[] =>
      [...fs.readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s([^;]*?)from\s+'([^']+)'/gms)]
        .filter(([, names, spec]) => spec!.startsWith('drizzle-orm') || (spec!.startsWith('@mission/store') && /\btables\b/.test(names!)))
        .map(([, , spec]) => spec!);
    const importing = ['packages', 'services', 'src']
      .flatMap((dir) => (fs.existsSync(path.join(root, dir)) ? sourceFiles(path.join(root, dir)) : []))
      .filter(
        (file) =>
          !file.includes(`${path.sep}node_modules${path.sep}`) &&
          !path.relative(root, file).startsWith(`packages${path.sep}store${path.sep}`),
      )
      .filter((file) => sqlImports(file).length > 0)
      .map((file) => path.relative(root, file).split(path.sep).join('/'))
      .sort();
    expect(importing).toEqual([]);
  });

  it('SessionStore is the one writer of the sessions table: no other module inserts or updates its rows', () => {
    const store = path.join(root, 'packages/store/src/sessions/sessionStore.ts');
    const sources = ['packages', 'services'].flatMap((dir) =>
      fs
        .readdirSync(path.join(root, dir))
        .map((name) => path.join(root, dir, name, 'src'))
        .filter((src) => fs.existsSync(src)),
    );
    const writers = sources.flatMap((src) =>
      sourceFiles(src)
        .filter((file) => file !== store)
        .filter((file) => /\.(?:update|insert)\(\s*(?:tables\.)?sessions\s*\)/.test(fs.readFileSync(file, 'utf8')))
        .map((file) => path.relative(root, file)),
    );
    expect(writers).toEqual([]);
    expect(fs.readFileSync(store, 'utf8')).toMatch(/\.update\(sessions\)/);
  });

  it('the self-check sees imports: a module of store is found importing drizzle-orm', () => {
    const store = sourceFiles(path.join(root, 'packages/store/src')).flatMap(importsOf);
    expect(store).toContain('drizzle-orm');
  });
});
