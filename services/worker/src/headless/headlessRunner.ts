import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import readline from 'node:readline';
import { killProcessGroup } from '../processGroup.ts';

/**
 * Why a run was stopped from outside; the reason given to the AbortController. `lease`: the worker's lease ran
 * out (no heartbeat landed in time, see WorkerLease), so the fleet may have handed the task to another.
 */
export type StopReason = 'cancel' | 'timeout' | 'shutdown' | 'lease';

/** How the prompt is written to the CLI's stdin: plain text, or one stream-json user message (`--input-format stream-json`). */
export type PromptInput = 'text' | 'stream-json';

export interface HeadlessLaunch {
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface HeadlessDrive {
  prompt: string;
  /** Aborting it ends the process group; `signal.reason` says why. */
  signal: AbortSignal;
  /** Called for each JSON line of stdout, one at a time, in order. */
  onMessage(message: unknown): Promise<void>;
  onUnparsableLine?(line: string): void;
}

export type HeadlessRunOptions = HeadlessLaunch & HeadlessDrive;

export interface HeadlessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stoppedBy: StopReason | null;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError: string | null;
}

/** A started `claude -p` process, waiting for its prompt on stdin (its stdout is read only once it has one). */
export interface HeadlessProcess {
  readonly pid: number | undefined;
  readonly promptInput: PromptInput;
  /** Resolves when the process has exited (or could not be started). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** Ends its process group (SIGTERM, then SIGKILL after a grace period). */
  kill(): void;
  /** Writes the prompt, streams the output and resolves with how the process ended. Call once. */
  drive(options: HeadlessDrive): Promise<HeadlessExit>;
}

const STDERR_TAIL_BYTES = 4_096;
const KILL_GRACE_MS = 1_000;

/** Runs `claude -p … --output-format stream-json` with the prompt on stdin and streams its JSON lines. */
export async function runHeadless(options: HeadlessRunOptions): Promise<HeadlessExit> {
  return spawnHeadless(options, 'text').drive(options);
}

/**
 * Starts `claude -p` in a process group of its own. With `stream-json` input (a warm agent) the CLI does
 * its start-up (settings, MCP servers) and then waits for a user message on stdin.
 */
export function spawnHeadless(launch: HeadlessLaunch, promptInput: PromptInput): HeadlessProcess {
  const child: ChildProcessWithoutNullStreams = spawn(launch.bin, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let spawnError: string | null = null;
  let stderrTail = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      spawnError = error.message;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  child.stdin.on('error', () => {
    // EPIPE when the process dies before reading the prompt: its exit says what happened
  });
  const hasExited = () => spawnError !== null || child.exitCode !== null || child.signalCode !== null;
  const kill = () => killProcessGroup({ pid: child.pid, exited, hasExited }, KILL_GRACE_MS);

  return {
    pid: child.pid,
    promptInput,
    exited,
    hasExited,
    kill,
    async drive(options) {
      let stoppedBy: StopReason | null = null;
      const stop = () => {
        stoppedBy = (options.signal.reason as StopReason) ?? 'cancel';
        kill();
      };
      if (options.signal.aborted) stop();
      else options.signal.addEventListener('abort', stop, { once: true });
      child.stdin.end(promptInput === 'text' ? options.prompt : streamJsonUserMessage(options.prompt));

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
    },
  };
}

/** The prompt as the one user message of `--input-format stream-json`. */
export function streamJsonUserMessage(prompt: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`;
}
