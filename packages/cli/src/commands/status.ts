import type { Session, TaskRead } from '@mission/contracts';
import { blockingDialogLine, howToGetPast } from '@mission/contracts/sessionHelp';
import type { Command } from '../command.ts';
import { ownerOf, ownerPath } from '../eventFeed.ts';
import { approvalWaitText } from '../eventText.ts';
import { dollars, fieldsText, seconds } from '../text.ts';

export const statusCommand: Command = {
  name: 'status',
  usage: '<task or session id>',
  summary: 'Show a task (task_…) or a session (ses_…)',
  details: `A running task shows what it waits for: each pending approval (a tool use, or Claude's question) and how
to decide it. A session blocked by a dialog shows the dialog and how to get past it.`,
  arguments: ['task or session id'],
  async run({ api, printer }, { args }) {
    const owner = ownerOf(args['task or session id']!);
    if (owner.kind === 'session') {
      const session = await api.request<Session>('GET', ownerPath(owner));
      printer.result(session, () => sessionText(session));
    } else {
      const task = await api.request<TaskRead>('GET', ownerPath(owner));
      printer.result(task, () => taskText(task));
    }
    return 0;
  },
};

function taskText(task: TaskRead): string {
  const waits = task.pendingApprovals?.map((approval) =>
    approvalWaitText({ approvalId: approval.id, tool: approval.tool, input: approval.input, rule: approval.rule }),
  );
  return fieldsText(`${task.id}  ${task.status}`, [
    ['waits for', waits?.join('\n')],
    ['slot', task.slot],
    ['priority', task.priority],
    ['created', task.createdAt],
    ['finished', task.finishedAt],
    ['worker', task.workerId],
    ['duration', seconds(task.durationMs)],
    ['cost', dollars(task.costUsd)],
    ['prompt', task.prompt],
    ['result', task.result],
    ['error', task.error],
  ]);
}

function sessionText(session: Session): string {
  return fieldsText(`${session.id}  ${session.state}`, [
    ['waits on', session.blocking && `${blockingDialogLine(session.blocking)}\n${howToGetPast(session.blocking)}`],
    ['slot', session.slot],
    ['worker', session.ownerWorker],
    ['driver', session.driver],
    ['terminal', `${session.cols}×${session.rows}`],
    ['created', session.createdAt],
    ['ended', session.endedAt],
    ['exit code', session.exitCode],
    ['exit signal', session.exitSignal],
    ['exit reason', session.exitReason],
    ['cost', dollars(session.costUsd)],
    ['claude session', session.claudeSessionId],
  ]);
}
