#!/usr/bin/env node
// The `mission` command line of this checkout (run `mission help`): the JavaScript `npm run build` makes of packages/cli/src.
import fs from 'node:fs';

const built = new URL('../packages/cli/dist/mission.js', import.meta.url);
if (!fs.existsSync(built)) {
  process.stderr.write('mission: the CLI is not built yet: run `npm run build` in the checkout (npm start does)\n');
  process.exit(1);
}
await import(built.href);
