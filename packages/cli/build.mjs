// Builds the `mission` CLI (src/main.ts) and `mission-mcp` (services/mcp/src/stdio.ts) into dist/: JavaScript with
// every dependency bundled in, so a command starts without compiling TypeScript and the package installs offline.
// The commands that run Mission itself (up, token, doctor) load it from the checkout (src/host.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** The host modules stay out of the bundle: imported at run time from the checkout, by the path host.ts checks. */
const hostOutside = {
  name: 'host-outside',
  setup(build) {
    build.onResolve({ filter: /\/hostModules\.ts$/ }, () => ({ path: '../src/hostModules.ts', external: true }));
  },
};

const outdir = path.join(here, 'dist');
// Chunks are named by their content: what an earlier build left would be packed too.
fs.rmSync(outdir, { recursive: true, force: true });

const { metafile } = await esbuild.build({
  entryPoints: { mission: path.join(here, 'src/main.ts'), 'mission-mcp': path.join(root, 'services/mcp/src/stdio.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // tsx is only imported in a checkout, where node_modules has it (host.ts).
  external: ['tsx', 'tsx/*'],
  // ws and its kin are CommonJS and require() Node's own modules.
  banner: {
    js: "import { createRequire as missionCreateRequire } from 'node:module'; const require = missionCreateRequire(import.meta.url);",
  },
  plugins: [hostOutside],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// Mission itself is reached only through hostModules.ts: a bundle holding startAll would carry the whole system.
const hostOnly = ['src/startAll.ts', 'src/privateRedis.ts'].map((file) => path.join(here, file));
const leaked = Object.keys(metafile.inputs).filter((input) => hostOnly.includes(path.resolve(input)));
if (leaked.length > 0) throw new Error(`the CLI bundle must not hold ${leaked.join(', ')}: reach them through src/hostModules.ts only`);

// A command starts in little more than Node's own time: what `mission` loads before it runs a command holds no schema
// library (zod alone took 30 ms of a 70 ms `mission --version`) and no WebSocket client (attach imports it when it runs).
const heavy = /node_modules\/(zod|ws)\//;
const missionOutput = Object.keys(metafile.outputs).find((output) => metafile.outputs[output].entryPoint?.endsWith('src/main.ts'));
const loadedAtStart = new Set();
for (const pending = [missionOutput]; pending.length > 0; ) {
  const output = pending.pop();
  if (loadedAtStart.has(output)) continue;
  loadedAtStart.add(output);
  for (const imported of metafile.outputs[output].imports)
    if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
}
const heavyAtStart = [...loadedAtStart].flatMap((output) =>
  Object.keys(metafile.outputs[output].inputs).filter((input) => heavy.test(input)),
);
if (heavyAtStart.length > 0)
  throw new Error(
    `mission must start without ${[...new Set(heavyAtStart.map((input) => input.match(heavy)[1]))].join(' and ')}: import it where a command runs, or from @mission/contracts/vocabulary`,
  );
// Nor an ESM import of node:http(s): Node builds its namespace from every export, the lazy WebSocket among them, which
// loads undici (35 ms of CPU). The client takes them with process.getBuiltinModule (src/http.ts).
const undiciAtStart = [...loadedAtStart].flatMap((output) =>
  metafile.outputs[output].imports.filter((imported) => imported.external && /^node:https?$/.test(imported.path)).map(({ path }) => path),
);
if (undiciAtStart.length > 0)
  throw new Error(
    `mission must start without an import of ${[...new Set(undiciAtStart)].join(' and ')}: take it with process.getBuiltinModule`,
  );
