import fs from 'node:fs';
import { cpuTickMs } from '../../tests/support/procCpu.ts';
import { cpuTicksOf } from '../../tests/support/processes.ts';

/**
 * CPU time of a process in ms: user + system, plus that of its children it has waited for (so the
 * agents a worker spawned count towards the worker). 0 once the process is gone.
 */
export function cpuMs(pid: number): number {
  return cpuTicksOf(pid) * cpuTickMs;
}

/** This process's CPU time in ms (user + system) since `start`, a `process.cpuUsage()`. */
export function ownCpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** Pids of the processes `pid` started that are still running (none once it is gone). */
export function childrenOf(pid: number): number[] {
  const list = procFile(`/proc/${pid}/task/${pid}/children`);
  if (list === undefined) return [];
  return list.split(' ').filter(Boolean).map(Number);
}

/**
 * Write system calls of a process so far (`syscw` of /proc/<pid>/io: write, writev… — each socket write Node makes is
 * one, and on this VM one costs tens of µs of CPU); 0 once the process is gone.
 */
export function writeSyscalls(pid: number): number {
  const io = procFile(`/proc/${pid}/io`);
  if (io === undefined) return 0;
  return Number(/^syscw: (\d+)$/m.exec(io)?.[1] ?? 0);
}

/** A per-process counter (CPU time, write syscalls) between `track()` and `used()`, summed over processes. */
export class ProcessMeter {
  private readonly started = new Map<number, number>();

  constructor(private readonly read: (pid: number) => number = cpuMs) {}

  /** Starts counting for `pid` (a process that appears mid-run counts from its current total). */
  track(pid: number): void {
    if (!this.started.has(pid)) this.started.set(pid, this.read(pid));
  }

  /** What the tracked processes (or these of them) counted since tracking began. */
  used(pids: readonly number[] = [...this.started.keys()]): number {
    return pids.reduce((sum, pid) => sum + Math.max(0, this.read(pid) - (this.started.get(pid) ?? 0)), 0);
  }
}

/** A file of /proc, or undefined once its process is gone. */
function procFile(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
