#!/usr/bin/env node
// The `mission` command line (run `mission help`), built to JavaScript by `npm run build`.
import '../dist/mission.js';
