import { describeClaudeFailure, type TaskStatus } from '@mission/shared';
import type { HeadlessExit } from './headless/headlessRunner.ts';
import type { HeadlessResult } from './headless/streamJson.ts';

export interface TaskOutcome {
  status: Exclude<TaskStatus, 'queued' | 'running'>;
  error: string | null;
}

/** Decides how a task ended from how its process ended and the result line it printed, if any; claude's known failures in Mission's words. */
export function taskOutcome(exit: HeadlessExit, result: HeadlessResult | undefined, timeoutMs: number): TaskOutcome {
  if (exit.stoppedBy === 'cancel') return { status: 'cancelled', error: 'cancelled while running' };
  if (exit.stoppedBy === 'timeout') return { status: 'timed_out', error: `no result within ${timeoutMs} ms` };
  if (exit.stoppedBy === 'shutdown') return { status: 'failed', error: 'the worker shut down before the task finished' };
  if (exit.spawnError) return { status: 'failed', error: `could not start claude: ${exit.spawnError}` };
  if (result) return result.isError ? { status: 'failed', error: describeClaudeFailure(result.text || `claude reported ${result.subtype}`) } : { status: 'succeeded', error: null };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  return { status: 'failed', error: describeClaudeFailure(`claude ${how} without a result${exit.stderrTail ? `: ${exit.stderrTail}` : ''}`) };
}
