import type { Task } from '@mission/contracts';
import type { Command } from '../command.ts';
import { Spinner } from '../spinner.ts';
import { reportTaskEnd } from '../taskOutcome.ts';

export const askCommand: Command = {
  name: 'ask',
  usage: '<slot> "<prompt>"',
  summary: 'Run a prompt on a slot and print the answer',
  details: `Waits for the answer (up to the API's MISSION_ASK_TIMEOUT_MS; then the task is cancelled, and so it is when
this command is interrupted). --json prints {"answer", "task"}. Exit code 1 when the task does not succeed.`,
  arguments: ['slot', 'prompt'],
  async run(context, { args }) {
    const { api, printer } = context;
    const spinner = new Spinner(printer.stderr, `asking ${args.slot}`);
    const asked = await api
      .request<{ answer: string | null; task: Task }>('POST', '/v1/ask', { slot: args.slot, prompt: args.prompt })
      .finally(() => spinner.stop());
    return reportTaskEnd(context, asked.task, { followed: false, json: asked });
  },
};
