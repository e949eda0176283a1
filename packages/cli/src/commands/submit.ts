import type { Task } from '@mission/contracts';
import { taskPriority } from '@mission/contracts/vocabulary';
import type { Command, OptionValue } from '../command.ts';
import { UsageError } from '../errors.ts';
import { reportTaskEnd, waitForTask } from '../taskOutcome.ts';

export const submitCommand: Command = {
  name: 'submit',
  usage: '<slot> "<prompt>" [--priority N] [--wait] [--follow]',
  summary: 'Submit a task; --wait for its answer, --follow to watch its events',
  details: `Without --wait or --follow, prints the task's id (--json: the task) and returns.
  --priority N   ${taskPriority.min} (lowest) to ${taskPriority.max} (highest, runs first); default ${taskPriority.default}.
  --wait         Wait for the task to end (a spinner shows its state), then print the answer. An approval it
                 waits for (Claude's question, say) is printed with how to decide it (\`mission approve\`). In a
                 terminal, it is put to you there too (with --follow as well): Claude's question takes an option's
                 number (several separated by commas where it takes several) or your own words; a tool use takes
                 y, or n and the reason Claude reads.
  --follow       Print its events as they come (as \`mission logs --follow\`), then how it ended.
Exit code 1 when the task ends failed, timed_out or cancelled.
With --follow --json: one JSON line per event, then the ended task as the last line.`,
  arguments: ['slot', 'prompt'],
  options: { priority: { type: 'string' }, wait: { type: 'boolean' }, follow: { type: 'boolean' } },
  async run(context, { args, options }) {
    const task = await context.api.request<Task>('POST', '/v1/tasks', {
      slot: args.slot,
      prompt: args.prompt,
      priority: parsePriority(options.priority),
    });
    if (!options.wait && !options.follow) {
      context.printer.result(task, () => task.id);
      return 0;
    }
    const follow = Boolean(options.follow);
    return reportTaskEnd(context, await waitForTask(context, task, { follow }), { followed: follow });
  },
};

function parsePriority(value: OptionValue): number | undefined {
  if (typeof value !== 'string') return undefined;
  const priority = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(priority >= taskPriority.min && priority <= taskPriority.max))
    throw new UsageError(`--priority must be a whole number from ${taskPriority.min} to ${taskPriority.max}, not '${value}'`, 'submit');
  return priority;
}
