import type { ChildProcess } from 'node:child_process';
import { type Machine, type MachineProcessOptions, spawnInMachine } from './netns.ts';

/** A process the harness runs inside one of its machines, with its output kept for the report. */
export interface MachineProcess {
  name: string;
  machine: Machine;
  child: ChildProcess;
  pid: number;
  /** Resolves when it has ended (code, or null when a signal ended it). */
  exited: Promise<number | null>;
  output(): string;
  /** True until it has ended. */
  running(): boolean;
}

/** Keeps at most this much of a process's output (the end is what explains a failure). */
const OUTPUT_LIMIT = 200_000;

export function startInMachine(name: string, machine: Machine, command: string[], options: MachineProcessOptions): MachineProcess {
  const child = spawnInMachine(machine, command, options);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT / 2);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let ended = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      ended = true;
      resolve(code);
    }),
  );
  return { name, machine, child, pid: child.pid!, exited, output: () => output, running: () => !ended };
}

/** Sends `signal` and, for SIGKILL, waits until the process has ended. */
export async function signal(process: MachineProcess, what: NodeJS.Signals): Promise<void> {
  if (!process.running()) return;
  process.child.kill(what);
  if (what === 'SIGKILL') await process.exited;
}
