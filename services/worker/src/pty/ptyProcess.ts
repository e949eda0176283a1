import fs from 'node:fs';
import tty from 'node:tty';
import pty from 'node-pty';
import type { SpawnRequest, StartedChild, TerminalSpawner } from '../spawner/spawner.ts';
import { FdWriter } from './fdWriter.ts';

/** How a program on a terminal ended: its exit code, or the signal's name that killed it (then no code). */
export interface TerminalExit {
  exitCode: number | null;
  signal: string | null;
}

/** What node-pty's forkpty names the terminal, and what the program reads in TERM. */
const TERMINAL_NAME = 'xterm-256color';
/** After the program exited, how long its terminal may stay open (held by what it left behind) before it is closed; node-pty's figure. */
const CLOSE_AFTER_EXIT_MS = 200;

/**
 * node-pty's native calls that do not fork: `open` (openpty, with the window size) and `resize`. The
 * package exposes them as `native` ("not public API"); they are what its own `open`/`resize` call.
 */
interface PtyNative {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
  resize(fd: number, cols: number, rows: number): void;
}
const native = (pty as unknown as { native: PtyNative }).native;

/**
 * A program on a pseudo-terminal whose master side this process holds, started by the spawner process
 * (docs/spawn-launcher.md): node-pty's `spawn` forks the calling process (forkpty), which blocks the
 * worker's event loop as long as copying its page tables takes. Here the worker only opens the terminal
 * (openpty: no fork) and sends one message; the spawner starts the program on the terminal's slave side
 * with node-pty's terminal modes, as the leader of its session with the terminal as its controlling one.
 * The output is read from the master here as node-pty reads it: nothing is relayed.
 */
export class PtyProcess {
  readonly exited: Promise<TerminalExit>;
  private readonly master: number;
  private readonly output: tty.ReadStream;
  private readonly child: StartedChild;
  private readonly writes: FdWriter;
  private readonly dataListeners: ((data: string) => void)[] = [];
  private masterClosed = false;

  constructor(spawner: TerminalSpawner, request: SpawnRequest, cols: number, rows: number) {
    const terminal = native.open(cols, rows);
    this.master = terminal.master;
    this.writes = new FdWriter(terminal.master);
    this.output = new tty.ReadStream(terminal.master);
    this.output.setEncoding('utf8');
    this.output.on('data', (data: string) => this.emit(data));
    // The stream closes the master when it is destroyed (at its end, or by the timer below): only once no write is in flight.
    const closeMaster = this.output._destroy.bind(this.output);
    this.output._destroy = (error, callback) => {
      void this.writes.stop().then(() => closeMaster(error, callback));
    };
    const closed = new Promise<void>((resolve) =>
      this.output.once('close', () => {
        this.masterClosed = true;
        resolve();
      }),
    );
    // EIO once no process has the slave side open any more: the end of the output, not a failure.
    this.output.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EIO') throw error;
    });
    // As node-pty: the terminal's name in TERM, the folder in PWD.
    const env = { ...request.env, PWD: request.cwd, TERM: TERMINAL_NAME };
    this.child = spawner.spawnOnTerminal({ ...request, env }, terminal.pty);
    // This process's slave stays open until the program has its own: the master would read EIO (its end) meanwhile.
    void this.child.started.then(() => fs.closeSync(terminal.slave));
    this.exited = this.child.exited.then(async (exit) => {
      // What the program wrote before it exited is still to be read: its exit is told after the output's end.
      if (!this.masterClosed) {
        const timer = setTimeout(() => this.output.destroy(), CLOSE_AFTER_EXIT_MS);
        await closed;
        clearTimeout(timer);
      }
      // A program that could not start says why on its terminal, as it did when forkpty's child failed to exec.
      if (exit.error) {
        this.emit(`${exit.error}\r\n`);
        return { exitCode: 1, signal: null };
      }
      return { exitCode: exit.signal ? null : exit.code, signal: exit.signal };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The program as a process group leader (for the group kill): its pid is known once the spawner reports it. */
  get leader(): StartedChild {
    return this.child;
  }

  onData(listener: (data: string) => void): void {
    this.dataListeners.push(listener);
  }

  /** Ignored once the terminal is closing (its fd may be another file's once closed). */
  write(data: string): void {
    this.writes.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.masterClosed) native.resize(this.master, cols, rows);
  }

  pause(): void {
    this.output.pause();
  }

  resume(): void {
    this.output.resume();
  }

  private emit(data: string): void {
    for (const listener of this.dataListeners) listener(data);
  }
}
