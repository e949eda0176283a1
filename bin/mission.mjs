#!/usr/bin/env node
// The `mission` command line (run `mission help`).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
