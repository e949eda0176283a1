import readline from 'node:readline';
import { killProcessGroup } from '../processGroup.ts';
import type { AgentSpawner, SpawnRequest } from '../spawner/spawner.ts';

/**
 * Why a run was stopped from outside; the reason given to the AbortController. `lease`: the worker's lease ran
 * out (no heartbeat landed in time, see WorkerLease), so the fleet may have handed the task to another.
 */
export type StopReason = 'cancel' | 'timeout' | 'shutdown' | 'lease';

/** How the prompt is written to the CLI's stdin: plain text, or one stream-json user message (`--input-format stream-json`). */
export type PromptInput = 'text' | 'stream-json';

export interface HeadlessDrive {
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

/** A started `claude -p` process, waiting for its prompt on stdin (its stdout is read only once it has one). */
export interface HeadlessProcess {
  /** Known once it has started (the spawner says so a moment after {@link spawnHeadless} returns). */
  readonly pid: number | undefined;
  /** Its pid once started, or why it could not be. */
  readonly started: Promise<{ pid: number } | { error: string }>;
  /** Its pid once started, undefined if it could not be (what the worker takes its calls from: CallerPin). */
  readonly program: Promise<number | undefined>;
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

/**
 * Starts `claude -p` in a process group of its own, through `spawner` (off the worker's event loop: see
 * spawner/spawner.ts). With `stream-json` input (a warm agent) the CLI does its start-up (settings, MCP
 * servers) and then waits for a user message on stdin.
 */
export function spawnHeadless(launch: SpawnRequest, promptInput: PromptInput, spawner: AgentSpawner): HeadlessProcess {
  const child = spawner.spawn(launch);
  let stderrTail = '';
  child.onStderr((chunk) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  const exited = child.exited.then(({ code, signal }) => ({ code, signal }));
  const hasExited = () => child.hasExited();
  // A kill asked for before the spawner said the pid waits for it (or for the news that it did not start).
  const kill = () => void child.started.then((pid) => killProcessGroup({ pid, exited, hasExited }, KILL_GRACE_MS));

  return {
    get pid() {
      return child.pid;
    },
    started: child.started.then(async (pid) => (pid !== undefined ? { pid } : { error: (await child.exited).error ?? 'it did not start' })),
    program: child.started,
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
      child.end(promptInput === 'text' ? options.prompt : streamJsonUserMessage(options.prompt));

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
      const { code, signal, error } = await child.exited;
      return { exitCode: code, signal, stoppedBy, stderrTail: stderrTail.trim(), spawnError: error };
    },
  };
}

/** The prompt as the one user message of `--input-format stream-json`. */
export function streamJsonUserMessage(prompt: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`;
}
