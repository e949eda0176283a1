import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { recordChild } from './childProcesses.ts';

/**
 * Keeps every core busy (one spinning process per core) until the returned function is called: the
 * conditions a user's loaded machine gives, for tests whose promise is about time.
 */
export function startCpuLoad(): () => Promise<void> {
  const spinners: ChildProcess[] = Array.from({ length: os.availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  spinners.forEach(recordChild);
  return async () => {
    await Promise.all(
      spinners.map((spinner) => {
        if (spinner.exitCode !== null || spinner.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => spinner.once('exit', resolve));
        spinner.kill('SIGKILL');
        return exited;
      }),
    );
  };
}
