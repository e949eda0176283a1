import type { ChildProcess } from 'node:child_process';

/**
 * Ends a child started with `detached: true` and everything it started (its process group):
 * SIGTERM first, SIGKILL if the group is still there after `graceMs`.
 */
export function killProcessGroup(child: ChildProcess, graceMs: number): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
  child.once('exit', () => {
    clearTimeout(timer);
    // The leader is gone; anything it left behind in its group goes too.
    signalGroup(pid, 'SIGKILL');
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
