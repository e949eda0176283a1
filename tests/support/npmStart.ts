import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { recordChild } from './childProcesses.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** `npm start` as the README runs it (tsx src/up.ts), with no REDIS_URL and no DATABASE_URL. */
export function startMission(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'REDIS_URL' && key !== 'DATABASE_URL'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/up.ts'], { cwd: repoRoot, env: { ...base, LOG_LEVEL: 'info', ...env } });
  recordChild(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** How the process ended: its exit code, or the signal that ended it (a crash in native code shows as SIGSEGV or SIGABRT). */
export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve({ code: child.exitCode, signal: child.signalCode })
      : child.once('exit', (code, signal) => resolve({ code, signal })),
  );
