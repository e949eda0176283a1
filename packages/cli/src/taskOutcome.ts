import type { Task } from '@mission/contracts';
import type { CommandContext } from './command.ts';
import { ownerEvents } from './eventFeed.ts';
import { approvalWaitText, eventText } from './eventText.ts';
import { Spinner } from './spinner.ts';
import { TerminalApprovals } from './terminalApprovals.ts';
import { dollars, seconds } from './text.ts';

/**
 * Waits for a task to end by its event stream: printing every event (`follow`), or showing a spinner
 * with its state and the elapsed time. On a terminal, the approvals it waits for (Claude's questions, tool uses a
 * rule asked about) are put to the person there as they come (TerminalApprovals). Returns the task as it ended.
 * `reachedBefore`: the command reached the API already (see ownerEvents).
 */
export async function waitForTask(
  context: CommandContext,
  task: Task,
  options: { follow: boolean; reachedBefore?: boolean },
): Promise<Task> {
  const { api, printer } = context;
  const spinner = options.follow ? undefined : new Spinner(printer.stderr, `${task.id} ${task.status}`);
  const approvals = TerminalApprovals.onTerminal(api, printer.paint, {
    pause: () => spinner?.pause(),
    resume: () => spinner?.resume(),
  });
  try {
    for await (const event of ownerEvents(api, { kind: 'task', id: task.id }, { follow: true, reachedBefore: options.reachedBefore })) {
      if (options.follow) printer.item(event, () => eventText(event, printer.paint));
      else if (event.type === 'state') spinner?.update(`${task.id} ${event.payload.state}`);
      // What the task waits for, and how to decide it, said once above the spinner.
      else if (event.type === 'approval_requested') spinner?.say(`${task.id} waits: ${approvalWaitText(event.payload)}`);
      if (event.type === 'approval_requested') approvals?.asked(event.payload);
      else if (event.type === 'permission_decision' && event.payload.approvalId)
        approvals?.decided(event.payload.approvalId, event.payload.by);
    }
  } finally {
    approvals?.close();
    spinner?.stop();
  }
  return api.request<Task>('GET', `/v1/tasks/${encodeURIComponent(task.id)}`);
}

/**
 * Prints how a task ended and gives the exit code: 0 when it succeeded, 1 when it failed, timed out
 * or was cancelled. After followed events (a stream) the task is one more JSON line; else the answer
 * (--json: `options.json`, by default the task).
 */
export function reportTaskEnd(context: CommandContext, task: Task, options: { followed: boolean; json?: unknown }): number {
  const { printer } = context;
  const succeeded = task.status === 'succeeded';
  if (options.followed) printer.item(task, () => printer.paint(succeeded ? 'green' : 'red', taskEndLine(task)));
  else if (succeeded || printer.json) printer.result(options.json ?? task, () => task.result ?? '');
  else printer.note(`mission: ${taskEndLine(task)}`);
  return succeeded ? 0 : 1;
}

function taskEndLine(task: Task): string {
  const figures = [seconds(task.durationMs), dollars(task.costUsd)].filter(Boolean).join(', ');
  return `task ${task.id} ${task.status}${figures ? ` (${figures})` : ''}${task.error ? `: ${task.error}` : ''}`;
}
