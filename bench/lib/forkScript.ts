import { type ChildProcess, fork } from 'node:child_process';

/**
 * Forks one of the bench's own scripts (a raw baseline's process, the publish observer) under plain Node, which
 * strips their types, rather than under tsx with the bench's loader: they import neither tsx nor Mission's modules,
 * so they start in a fraction of the time (under a second, against seconds). What they do once started is the same.
 */
export function forkScript(script: string, env: Record<string, string>): ChildProcess {
  return fork(script, [], { execArgv: [], env: { ...process.env, ...env } });
}
