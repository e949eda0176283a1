import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commandLine, descendantsOf, isRunning, statFields, waitUntil } from './processes.ts';

/**
 * The one place that knows every process a test run starts, so none outlives the test file that started it.
 *
 * Three ways a process is known: it is a descendant of the test file's fork (API and workers in the fork,
 * claude under them, worker processes, `npm start`, CLI runs); it carries the run's markers in its environment
 * (every child inherits them, and claude gets them through the test claude home's env — so one orphaned when
 * its parent died is still found); or its pid was recorded in the run's file when it was started. Each file's
 * fork kills what it left behind when the file ends (tests/support/reapEachFile.ts); the run's global teardown
 * kills what a fork that died left behind (tests/support/reapRun.ts).
 */

/** Names the run (all its files) in the environment of every process it starts. */
export const RUN_ENV = 'TESTRUN_ID';
/** Names the test file (its fork's pid) in the environment of every process the file starts. */
export const FILE_ENV = 'TESTRUN_FILE';
/** The run's folder, where started processes are recorded (`pids`: one `pid starttime` a line). */
export const RUN_DIR_ENV = 'TESTRUN_DIR';

/** The markers of this run and file, for an environment built from scratch (claude's, from a slot's env). */
export function testRunEnv(): Record<string, string> {
  return Object.fromEntries([RUN_ENV, FILE_ENV, RUN_DIR_ENV].filter((key) => process.env[key]).map((key) => [key, process.env[key]!]));
}

/** Records a started child in the run's file, so the run's teardown kills it even if the fork that started it died. */
export function recordChild(child: ChildProcess | number): void {
  const pid = typeof child === 'number' ? child : child.pid;
  const dir = process.env[RUN_DIR_ENV];
  if (!pid || !dir) return;
  const started = startTime(pid);
  if (started !== undefined) fs.appendFileSync(path.join(dir, 'pids'), `${pid} ${started}\n`);
}

/** Pids recorded in the run folder `dir` that still run as the process recorded (not a later one given the same pid). */
export function recordedProcesses(dir: string): number[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(dir, 'pids'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .filter(([pid, started]) => startTime(Number(pid)) === started && isRunning(Number(pid)))
    .map(([pid]) => Number(pid));
}

/** Live processes whose environment has every one of `markers` (read from /proc/<pid>/environ). */
export function processesMarked(markers: Record<string, string>): number[] {
  const wanted = Object.entries(markers).map(([key, value]) => `${key}=${value}`);
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => {
      try {
        const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
        return wanted.every((pair) => environ.includes(pair));
      } catch {
        return false; // ended while the list was read, or not ours to read
      }
    })
    .map(Number)
    .filter(isRunning);
}

/**
 * Kills `pids`, everything under them and the process groups they lead (claude leads its own, and its tools
 * run in it), with SIGKILL — the tree is read first, so nothing escapes by being re-parented — and waits until
 * they are gone. Returns what it killed, each with its command line, for the log.
 */
export async function killProcesses(pids: number[]): Promise<string[]> {
  const all = [...new Set(pids.flatMap((pid) => [pid, ...descendantsOf(pid)]))].filter((pid) => pid !== process.pid && isRunning(pid));
  const killed = all.map((pid) => `${pid} ${commandLine(pid).slice(0, 200)}`);
  for (const pid of all) {
    if (processGroupOf(pid) === pid) signal(-pid);
    signal(pid);
  }
  await waitUntil(() => all.every((pid) => !isRunning(pid)), 10_000, `processes ${all.join(', ')} to end`);
  return killed;
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

function processGroupOf(pid: number): number | undefined {
  const pgid = statFields(pid)?.[2];
  return pgid === undefined ? undefined : Number(pgid);
}
