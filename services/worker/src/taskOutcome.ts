import { type Approval, describeClaudeFailure, type TaskStatus } from '@mission/contracts';
import type { HeadlessExit } from './headless/headlessRunner.ts';
import type { HeadlessResult } from './headless/streamJson.ts';

export interface TaskOutcome {
  status: Exclude<TaskStatus, 'queued' | 'running'>;
  error: string | null;
}

/**
 * Decides how a task ended from how its process ended, the result line it printed, if any, and the
 * tool uses that waited for an approval nobody gave (`undecided`): a task that could not do what it
 * asked to do did not succeed, whatever its last words. Claude's known failures are told in Mission's words.
 */
export function taskOutcome(
  exit: HeadlessExit,
  result: HeadlessResult | undefined,
  timeoutMs: number,
  undecided: readonly Approval[] = [],
): TaskOutcome {
  if (exit.stoppedBy === 'cancel') return { status: 'cancelled', error: 'cancelled while running' };
  if (exit.stoppedBy === 'timeout') return { status: 'timed_out', error: `no result within ${timeoutMs} ms` };
  if (exit.stoppedBy === 'shutdown') return { status: 'failed', error: 'the worker shut down before the task finished' };
  if (exit.spawnError) return { status: 'failed', error: `could not start claude: ${exit.spawnError}` };
  if (result?.isError) return { status: 'failed', error: describeClaudeFailure(result.text || `claude reported ${result.subtype}`) };
  if (undecided.length > 0) return { status: 'failed', error: undecidedError(undecided) };
  if (result) return { status: 'succeeded', error: null };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  return {
    status: 'failed',
    error: describeClaudeFailure(`claude ${how} without a result${exit.stderrTail ? `: ${exit.stderrTail}` : ''}`),
  };
}

function undecidedError(undecided: readonly Approval[]): string {
  const uses = undecided.map((approval) => `${approval.tool} (approval ${approval.id}, ${approval.reason ?? 'expired'})`).join(', ');
  return `nobody decided ${undecided.length === 1 ? 'a tool use' : `${undecided.length} tool uses`} in time, so ${undecided.length === 1 ? 'it' : 'they'} never ran: ${uses}`;
}
