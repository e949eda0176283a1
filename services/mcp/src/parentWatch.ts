import fs from 'node:fs';

/** How often the processes above `mission-mcp` are checked (a few /proc reads): well inside its one-second exit promise. */
const CHECK_INTERVAL_MS = 100;

interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot: tells a live process from a later one that reused its pid. */
  startTime: string;
}

interface ProcStat {
  /** Whether it still runs: a zombie has ended, though its parent has not reaped it yet. */
  running: boolean;
  ppid: number;
  startTime: string;
}

/** What a /proc/<pid>/stat line says of the process. */
export function parseProcStat(stat: string): ProcStat {
  // Field 2, the command name, is in parentheses and may itself hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state (field 3), ppid (field 4), …, starttime (field 22).
  return { running: !['Z', 'X', 'x'].includes(fields[0] ?? ''), ppid: Number(fields[1]), startTime: fields[19] ?? '' };
}

/** The process as /proc shows it now; undefined once it has ended and been reaped. */
function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    // No /proc/<pid> is the answer "it has ended", not a failure.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw error;
  }
}

/** The processes above this one, parent first, up to init (which never ends). */
function ancestors(): ProcessIdentity[] {
  const chain: ProcessIdentity[] = [];
  for (let pid = process.ppid; pid > 1; ) {
    const stat = procStat(pid);
    if (!stat) break;
    chain.push({ pid, startTime: stat.startTime });
    pid = stat.ppid;
  }
  return chain;
}

const alive = (ancestor: ProcessIdentity) => {
  const now = procStat(ancestor.pid);
  return now !== undefined && now.running && now.startTime === ancestor.startTime;
};

/**
 * Calls `onGone` once when a process above this one ends. Not only the parent: `npx mission-mcp` runs
 * it under `npm exec` and a shell, and a client that kills `npx` leaves the shell waiting on a
 * `mission-mcp` that nothing talks to any more. Linux reads the chain in /proc; elsewhere only the
 * parent is watched (`process.ppid` changes when it ends). Returns the function that stops watching.
 */
export function watchAncestors(onGone: () => void): () => void {
  const hasProc = fs.existsSync('/proc/self/stat');
  const chain = hasProc ? ancestors() : [];
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (hasProc ? chain.every(alive) : process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, CHECK_INTERVAL_MS);
  // The watch alone keeps nothing running: stdin does while the client is there.
  timer.unref();
  return () => clearInterval(timer);
}
