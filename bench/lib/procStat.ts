import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time of a process in ms: user + system, plus that of its children it has waited for (so the
 * agents a worker spawned count towards the worker). 0 once the process is gone.
 */
export function cpuMs(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  // Fields after "(comm) ": state is index 0, utime 11, stime 12, cutime 13, cstime 14.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** This process's CPU time in ms (user + system) since `start`, a `process.cpuUsage()`. */
export function ownCpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** Pids of the processes `pid` started that are still running (none once it is gone). */
export function childrenOf(pid: number): number[] {
  let list: string;
  try {
    list = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return list.split(' ').filter(Boolean).map(Number);
}

/** CPU used by a set of processes between `start()` and `stop()`, per process label. */
export class CpuMeter {
  private readonly started = new Map<number, number>();

  /** Starts counting for `pid` (a process that appears mid-run counts from its current total). */
  track(pid: number): void {
    if (!this.started.has(pid)) this.started.set(pid, cpuMs(pid));
  }

  /** CPU ms used since tracking began, summed over the tracked processes. */
  used(pids: readonly number[] = [...this.started.keys()]): number {
    return pids.reduce((sum, pid) => sum + Math.max(0, cpuMs(pid) - (this.started.get(pid) ?? 0)), 0);
  }
}
