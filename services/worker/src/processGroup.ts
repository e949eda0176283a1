/** A process started as the leader of its own process group (`detached: true`, or a PTY's session leader). */
export interface GroupLeader {
  pid: number | undefined;
  /** Resolves when the leader has exited. */
  exited: Promise<unknown>;
  hasExited(): boolean;
}

/**
 * Ends a process group leader and everything it started: SIGTERM to the group first, SIGKILL if it
 * is still there after `graceMs`, and SIGKILL to whatever the leader leaves behind once it exits.
 */
export function killProcessGroup(leader: GroupLeader, graceMs: number): void {
  const pid = leader.pid;
  if (pid === undefined || leader.hasExited()) return;
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
  void leader.exited.then(() => {
    clearTimeout(timer);
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
