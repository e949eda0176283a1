import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { killProcesses, processesMarked, recordedProcesses, RUN_ENV } from './childProcesses.ts';

/**
 * Global setup of the run's child processes: names the run (each file's fork puts the name in the environment
 * of everything it starts, tests/support/reapEachFile.ts) and gives it a folder where started processes are
 * recorded. Its teardown kills every process of the run still there — those a fork left behind when it died
 * before its file's end.
 */
export default function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mission-test-run-${process.pid}-`));
  const id = path.basename(dir);
  project.provide('testRun', { id, dir });
  return async () => {
    const left = [...new Set([...recordedProcesses(dir), ...processesMarked({ [RUN_ENV]: id })])];
    const killed = await killProcesses(left);
    if (killed.length > 0)
      process.stderr.write(`test run ${id}: killed ${killed.length} processes its files left running:\n  ${killed.join('\n  ')}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: { id: string; dir: string };
  }
}
