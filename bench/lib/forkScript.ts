import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/**
 * Forks one of the bench's own scripts (a raw baseline's process, the publish observer) under plain Node, which
 * strips their types, rather than under tsx with the bench's loader: they import neither tsx nor Mission's modules,
 * so they start in a fraction of the time (under a second, against seconds). What they do once started is the same.
 */
export function forkScript(script: string, env: Record<string, string>): ChildProcess {
  return fork(script, [], { execArgv: [], env: { ...process.env, ...env } });
}

/** The first message a forked script sends (it is ready, and may say more: a port); fails if it exits first. */
export function readyMessage<T = unknown>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code, signal) =>
      reject(new Error(`${path.basename(child.spawnargs.at(-1) ?? 'a bench script')} exited before it was ready (${signal ?? code})`)),
    );
  });
}
