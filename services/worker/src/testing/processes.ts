import fs from 'node:fs';

/** For this package's unit tests: whether `pid` is alive and not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false; // no /proc/<pid>: it has ended
  }
}

/** For this package's unit tests: whether `pid` has ended, waiting for it up to 4 s. */
export async function ended(pid: number): Promise<boolean> {
  for (let i = 0; isRunning(pid) && i < 200; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return !isRunning(pid);
}
