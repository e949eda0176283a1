import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { recordChild } from './childProcesses.ts';

/**
 * One busy process's program, given the pid of the process that starts it: it spins, and ends once that process is
 * gone (looked at every 50 ms: its parent is no longer that pid). A run killed before its teardown could run (a
 * `timeout`, a stress script stopped, Ctrl+C twice) leaves no load behind to slow what runs next on the machine.
 */
const SPINNER_PROGRAM =
  'const parent = Number(process.argv[1]); for (let next = 0; ; ) if (Date.now() >= next) { if (process.ppid !== parent) process.exit(0); next = Date.now() + 50; }';

/**
 * Keeps every core busy (one spinning process per core) until the returned function is called: the
 * conditions a user's loaded machine gives, for tests whose promise is about time.
 */
export function startCpuLoad(): () => Promise<void> {
  const spinners: ChildProcess[] = Array.from({ length: os.availableParallelism() }, () =>
    spawn(process.execPath, ['-e', SPINNER_PROGRAM, String(process.pid)], { stdio: 'ignore' }),
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
