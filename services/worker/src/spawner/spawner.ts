import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import type { Logger } from '@mission/store';

/** What to start: a command line, its working folder and its whole environment (built by AgentLauncher.prepare). */
export interface SpawnRequest {
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** How a started process ended; `error` when it could not be started at all (ENOENT, …). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error: string | null;
}

/** A process started as the leader of a process group of its own. */
export interface StartedChild {
  /** Known once it has started (undefined before, and for one that could not start). */
  readonly pid: number | undefined;
  /** Resolves with the pid once started, or undefined if it could not be. */
  readonly started: Promise<number | undefined>;
  /** Resolves once it has exited (and its output is all read, when piped), or could not start. */
  readonly exited: Promise<ChildExit>;
  hasExited(): boolean;
}

/** A process started in a process group of its own, with piped stdin, stdout and stderr. */
export interface SpawnedChild extends StartedChild {
  readonly stdout: Readable;
  onStderr(listener: (chunk: string) => void): void;
  /** Writes to its stdin and closes it. */
  end(data: string): void;
}

/** Starts agent processes. */
export interface AgentSpawner {
  spawn(request: SpawnRequest): SpawnedChild;
}

/** Starts programs on a terminal opened by the caller, who keeps its master side (a PTY session). */
export interface TerminalSpawner {
  /** `terminal`: the path of the terminal's slave side (/dev/pts/N); it becomes the program's controlling terminal. */
  spawnOnTerminal(request: SpawnRequest, terminal: string): StartedChild;
}

type Outgoing =
  | ({ t: 'spawn'; id: number } & SpawnRequest)
  | ({ t: 'pty'; id: number; terminal: string } & SpawnRequest)
  | { t: 'stdin'; id: number; data?: string; end?: boolean }
  | { t: 'pause' | 'resume'; id: number };
type Incoming =
  | { t: 'pid'; id: number; pid: number }
  | { t: 'out' | 'err'; id: number; data: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null; error: string | null };

const SPAWNER_SCRIPT = fileURLToPath(new URL('./spawnerProcess.mjs', import.meta.url));

/** One child of the spawner process, as the worker sees it: its pid once started, its exit once ended. */
class Relayed implements StartedChild {
  pid: number | undefined;
  readonly started: Promise<number | undefined>;
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | null = null;
  private resolveStarted!: (pid: number | undefined) => void;
  private resolveExited!: (exit: ChildExit) => void;

  constructor(
    readonly id: number,
    protected readonly send: (message: Outgoing) => void,
  ) {
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  hasExited(): boolean {
    return this.exit !== null;
  }

  receive(message: Incoming): void {
    if (message.t === 'pid') {
      this.pid = message.pid;
      this.resolveStarted(message.pid);
    } else if (message.t === 'exit') this.ended({ code: message.code, signal: message.signal, error: message.error });
  }

  ended(exit: ChildExit): void {
    if (this.exit) return;
    this.exit = exit;
    this.resolveStarted(this.pid);
    this.closed();
    this.resolveExited(exit);
  }

  /** What else ends with it (its relayed output). */
  protected closed(): void {
    // nothing but the exit for a child on a terminal: its output never passes through the spawner
  }
}

/** A child with piped stdio: its output relayed by the spawner, its input sent there. */
class RelayedPiped extends Relayed implements SpawnedChild {
  readonly stdout: Readable;
  private paused = false;
  private readonly stderrListeners: ((chunk: string) => void)[] = [];

  constructor(id: number, send: (message: Outgoing) => void) {
    super(id, send);
    // Backpressure as with a pipe of its own: the spawner stops reading the agent's stdout while this one is full.
    this.stdout = new Readable({
      encoding: 'utf8',
      read: () => {
        if (!this.paused) return;
        this.paused = false;
        this.send({ t: 'resume', id: this.id });
      },
    });
  }

  onStderr(listener: (chunk: string) => void): void {
    this.stderrListeners.push(listener);
  }

  end(data: string): void {
    if (this.hasExited()) return;
    this.send({ t: 'stdin', id: this.id, data, end: true });
  }

  override receive(message: Incoming): void {
    if (message.t === 'out') {
      if (!this.stdout.push(message.data) && !this.paused) {
        this.paused = true;
        this.send({ t: 'pause', id: this.id });
      }
    } else if (message.t === 'err') {
      for (const listener of this.stderrListeners) listener(message.data);
    } else super.receive(message);
  }

  protected override closed(): void {
    this.stdout.push(null);
  }
}

/**
 * Starts agents through a small process of its own (spawnerProcess.mjs) instead of `child_process.spawn`
 * in the worker: spawn forks the calling process, which blocks its event loop for as long as copying its
 * page tables takes (≈ 10–100 ms for a worker of 200–300 MB); here the worker only sends one IPC message.
 * PTY programs too (spawnOnTerminal): started on a terminal the worker opened, whose output it reads itself.
 * The spawner is started at the first spawn and again after it died (the agents it ran are then ended:
 * their groups get SIGKILL and their exit says so). Closing the worker's end ends the spawner and any agent
 * still running under it, and so does the worker's death (the channel closes with it).
 */
export class Spawner implements AgentSpawner, TerminalSpawner {
  private process: ChildProcess | undefined;
  private readonly children = new Map<number, Relayed>();
  private nextId = 1;

  constructor(private readonly logger: Logger) {}

  /** Starts the spawner process now rather than at the first agent (its own start is a fork of the worker). */
  start(): void {
    this.running();
  }

  spawn(request: SpawnRequest): SpawnedChild {
    const spawner = this.running();
    const child = new RelayedPiped(this.nextId++, (message) => this.send(spawner, message));
    this.launch(spawner, child, { t: 'spawn', id: child.id, bin: request.bin, args: request.args, cwd: request.cwd, env: request.env });
    return child;
  }

  spawnOnTerminal(request: SpawnRequest, terminal: string): StartedChild {
    const spawner = this.running();
    const child = new Relayed(this.nextId++, (message) => this.send(spawner, message));
    this.launch(spawner, child, {
      t: 'pty',
      id: child.id,
      bin: request.bin,
      args: request.args,
      cwd: request.cwd,
      env: request.env,
      terminal,
    });
    return child;
  }

  /** Closes the channel: the spawner ends what still runs under it (nothing, after a drain) and exits. */
  async close(): Promise<void> {
    const spawner = this.process;
    if (!spawner) return;
    this.process = undefined;
    const gone = new Promise((resolve) => spawner.once('exit', resolve));
    // Waited for: held open until it has exited.
    spawner.ref();
    if (spawner.connected) spawner.disconnect();
    await gone;
  }

  private running(): ChildProcess {
    if (this.process) return this.process;
    const { NODE_OPTIONS: _loader, ...env } = process.env;
    // A plain node script: none of the worker's loaders or flags, a small heap.
    const spawner = fork(SPAWNER_SCRIPT, [], {
      execArgv: ['--max-old-space-size=64'],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    spawner.on('message', (message: Incoming) => this.children.get(message.id)?.receive(message));
    spawner.on('error', (error) => this.logger.warn({ err: error }, 'spawner process error'));
    spawner.once('exit', (code, signal) => {
      if (this.process === spawner) {
        this.process = undefined;
        this.logger.error({ code, signal, running: this.children.size }, 'the spawner process died: ending the agents it ran');
      }
      for (const child of this.children.values()) this.lost(child);
    });
    this.process = spawner;
    this.holdOpen();
    return spawner;
  }

  private launch(spawner: ChildProcess, child: Relayed, request: Outgoing & { t: 'spawn' | 'pty' }): void {
    this.children.set(request.id, child);
    void child.exited.then(() => {
      this.children.delete(request.id);
      this.holdOpen();
    });
    this.holdOpen();
    this.send(spawner, request);
  }

  /** An agent whose spawner is gone: its group is ended here and its exit reported as a kill. */
  private lost(child: Relayed): void {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the spawner ended it already.
      }
    }
    child.ended(
      child.pid === undefined
        ? { code: null, signal: null, error: 'the spawner process exited before starting it' }
        : { code: null, signal: 'SIGKILL', error: null },
    );
  }

  private send(spawner: ChildProcess, message: Outgoing): void {
    const lost = () => {
      const child = this.children.get(message.id);
      if (child) this.lost(child);
    };
    if (!spawner.connected) return lost();
    spawner.send(message, (error) => {
      if (!error) return;
      this.logger.warn({ err: error, message: message.t }, 'could not reach the spawner process');
      if (message.t === 'spawn' || message.t === 'pty') lost();
    });
  }

  /** The spawner keeps the worker's process alive only while agents run under it. */
  private holdOpen(): void {
    const spawner = this.process;
    if (!spawner) return;
    const busy = this.children.size > 0;
    for (const handle of [spawner, spawner.channel]) {
      if (busy) handle?.ref();
      else handle?.unref();
    }
  }
}
