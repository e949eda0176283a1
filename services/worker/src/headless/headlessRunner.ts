import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { killProcessGroup } from '../processGroup.ts';

/**
 * Why a run was stopped from outside; the reason given to the AbortController. `lease`: the worker's lease ran
 * out (no heartbeat landed in time, see WorkerLease), so the fleet may have handed the task to another.
 */
export type StopReason = 'cancel' | 'timeout' | 'shutdown' | 'lease';

export interface HeadlessRunOptions {
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  prompt: string;
  /** Aborting it ends the process group; `signal.reason` says why. */
  signal: AbortSignal;
  /** Called for each JSON line of stdout, one at a time, in order. */
  onMessage(message: unknown): Promise<void>;
  onUnparsableLine?(line: string): void;
}

export interface HeadlessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stoppedBy: StopReason | null;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError: string | null;
}

const STDERR_TAIL_BYTES = 4_096;
const KILL_GRACE_MS = 1_000;

/** Runs `claude -p … --output-format stream-json` with the prompt on stdin and streams its JSON lines. */
export async function runHeadless(options: HeadlessRunOptions): Promise<HeadlessExit> {
  const child = spawn(options.bin, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stoppedBy: StopReason | null = null;
  let spawnError: string | null = null;
  let stderrTail = '';

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      spawnError = error.message;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  const stop = () => {
    stoppedBy = (options.signal.reason as StopReason) ?? 'cancel';
    killProcessGroup({ pid: child.pid, exited, hasExited: () => child.exitCode !== null || child.signalCode !== null }, KILL_GRACE_MS);
  };
  if (options.signal.aborted) stop();
  else options.signal.addEventListener('abort', stop, { once: true });

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  child.stdin.on('error', () => {}); // EPIPE when the process dies before reading the prompt
  child.stdin.end(options.prompt);

  const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        options.onUnparsableLine?.(line);
        continue;
      }
      await options.onMessage(message);
    }
  } finally {
    options.signal.removeEventListener('abort', stop);
  }
  const { code, signal } = await exited;
  return { exitCode: code, signal, stoppedBy, stderrTail: stderrTail.trim(), spawnError };
}
