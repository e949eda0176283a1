import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/**
 * Milliseconds of CPU (user + system) used by this process's children that have ended and been waited for
 * (cutime + cstime of /proc/self/stat): what a child cost, whatever the load on the machine. Resolution: one tick.
 */
export function endedChildrenCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  // The fields after the command name in parentheses (which may hold spaces): state is field 3, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) / ticksPerSecond) * 1000;
}

export const cpuTickMs = 1000 / ticksPerSecond;
