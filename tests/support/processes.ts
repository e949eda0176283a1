import fs from 'node:fs';

/** Pids of live processes whose working directory is `dir` (read from /proc): what a test checks is gone. */
export function processesIn(dir: string): number[] {
  const real = fs.realpathSync(dir);
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/cwd`) === real && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * How long a test gives a real `claude` from its launch to its first Messages API request: seconds on an idle machine,
 * past ten on this 2-core one when every test file is starting CLIs beside it (CI's slow hours). A deadline for a
 * failure's message, never a wait: the test goes on the moment the request is seen.
 */
export const CLI_FIRST_REQUEST_MS = 30_000;

/** Resolves once `condition` holds, asked every `pollMs`; fails after `timeoutMs`, naming `what` it waited for. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string, pollMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Resolves once the processes `pids()` names (read again at each look: some may start or end) have used no CPU for
 * `quietMs`, as /proc counts it (user + system, theirs and their reaped children's, in ticks of 10 ms): what they
 * were doing (starting, drawing, finishing a turn) is over.
 */
export async function untilQuiet(pids: () => number[], quietMs: number, what: string, timeoutMs = 60_000): Promise<void> {
  let used = -1;
  let since = Date.now();
  await waitUntil(
    () => {
      const now = pids().reduce((sum, pid) => sum + cpuTicksOf(pid), 0);
      if (now !== used) [used, since] = [now, Date.now()];
      return Date.now() - since >= quietMs;
    },
    timeoutMs,
    what,
  );
}

/** User + system CPU of `pid` and of the children it has waited for, in clock ticks (0 once it has ended). */
export function cpuTicksOf(pid: number): number {
  const fields = statFields(pid);
  // utime [11], stime [12], cutime [13], cstime [14].
  return fields ? [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0) : 0;
}

/** Fields of /proc/<pid>/stat after the command name: state is [0], pgid [2], utime [11], start time [19]; undefined once it has ended. */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // it has ended
  }
}

/** Whether `pid` is a live process (not gone, not a zombie waiting for its parent to reap it). */
export function isRunning(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false; // no /proc/<pid>: it has ended
  }
}

/** The pid of `pid`'s parent (0 once it has ended). */
export function parentOf(pid: number): number {
  try {
    return parentIn(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0; // no /proc/<pid>: it has ended
  }
}

/** The program `pid` runs (its `/proc/<pid>/exe`); undefined once it has ended, as a short-lived child may between a listing and this. */
export function executableOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The parent's pid a `/proc/<pid>/stat` line names (after the command, which may hold spaces and parentheses). */
function parentIn(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Pids of the live processes under `pid` (children, theirs, …). */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      parents.set(Number(entry), parentIn(fs.readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // it ended while the list was read
    }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    frontier = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...frontier);
  }
  return found.filter(isRunning);
}

/** The command line of `pid`, words joined by spaces ('' once it has ended). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
