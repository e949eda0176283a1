import type { Task } from '@mission/contracts';
import type { Command } from '../command.ts';
import { ownerPath } from '../eventFeed.ts';

export const cancelCommand: Command = {
  name: 'cancel',
  usage: '<task id>',
  summary: 'Cancel a task (a running one is stopped within seconds)',
  arguments: ['task id'],
  async run({ api, printer }, { args }) {
    const task = await api.request<Task>('POST', `${ownerPath({ kind: 'task', id: args['task id']! })}/cancel`);
    printer.result(task, () => `${task.id} ${task.status}`);
    return 0;
  },
};
