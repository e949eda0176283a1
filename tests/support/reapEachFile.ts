import { afterAll, inject } from 'vitest';
import { FILE_ENV, killProcesses, processesMarked, RUN_DIR_ENV, RUN_ENV } from './childProcesses.ts';
import { descendantsOf } from './processes.ts';

/**
 * Set up in every test file's fork (vitest `setupFiles`): marks what the file starts with the run and the file,
 * and when the file ends — after its own afterAll hooks, even when a test or hook timed out — kills every
 * process it left running: the fork's descendants and whatever carries the file's marker (an orphan of a
 * process that died).
 */
const run = inject('testRun');
process.env[RUN_ENV] = run.id;
process.env[RUN_DIR_ENV] = run.dir;
process.env[FILE_ENV] = String(process.pid);

// (vitest wants the context destructured; the file's suite comes second)
afterAll(async ({}, suite) => {
  const left = [...new Set([...descendantsOf(process.pid), ...processesMarked({ [RUN_ENV]: run.id, [FILE_ENV]: String(process.pid) })])];
  const killed = await killProcesses(left);
  if (killed.length > 0)
    process.stderr.write(`${suite.name}: killed ${killed.length} processes left running at the file's end:\n  ${killed.join('\n  ')}\n`);
});
