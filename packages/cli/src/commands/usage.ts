import type { DailySpend, TreeUsage, UsageReport } from '@mission/contracts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { dollars, fieldsText, tableText } from '../text.ts';

const usd = (amount: number | null) => dollars(amount) ?? '—';
const tokens = (usage: Record<string, number>) => `${usage.input_tokens ?? 0} in / ${usage.output_tokens ?? 0} out`;

export const usageCommand: Command = {
  name: 'usage',
  usage: '[--tree <session or task id>] [--daily [--days N] [--slot S]]',
  summary: 'What agents cost: per slot today and in all, an agent tree (--tree), or per day (--daily)',
  details:
    "Without options: each slot's cost and tokens today (UTC) and in all, with its daily budget. --tree: a session or task and everything it " +
    "started (a coordination's id: the coordination), node by node, with the tree's budget. --daily: spend per UTC day over the last --days " +
    "(default 30), tasks and sessions apart. --json gives the API's answer (GET /v1/usage, /v1/usage/tree/:id, /v1/usage/daily).",
  arguments: [],
  options: { tree: { type: 'string' }, daily: { type: 'boolean' }, days: { type: 'string' }, slot: { type: 'string' } },
  async run({ api, printer }, { options }) {
    if (typeof options.tree === 'string') {
      if (options.daily) throw new UsageError('--tree and --daily go apart: give one', 'usage');
      const tree = await api.request<TreeUsage>('GET', `/v1/usage/tree/${encodeURIComponent(options.tree)}`);
      printer.result(tree, () => treeText(tree));
      return 0;
    }
    if (options.daily) {
      const query = new URLSearchParams();
      if (typeof options.days === 'string') query.set('days', parseDays(options.days));
      if (typeof options.slot === 'string') query.set('slot', options.slot);
      const daily = await api.request<DailySpend>('GET', `/v1/usage/daily${query.size ? `?${query}` : ''}`);
      printer.result(daily, () =>
        tableText(
          ['DAY', 'COST', 'OF TASKS', 'OF SESSIONS', 'TASKS ENDED'],
          daily.days.map((d) => [d.day, usd(d.costUsd), usd(d.tasksCostUsd), usd(d.sessionsCostUsd), String(d.tasksEnded)]),
        ),
      );
      return 0;
    }
    if (options.days !== undefined || options.slot !== undefined) throw new UsageError('--days and --slot go with --daily', 'usage');
    const report = await api.request<UsageReport>('GET', '/v1/usage');
    printer.result(report, () =>
      tableText(
        ['SLOT', 'TODAY', 'BUDGET', 'TASKS TODAY', 'TOTAL'],
        [
          ...report.slots.map((s) => [s.slot, usd(s.costTodayUsd), usd(s.dailyBudgetUsd), String(s.tasksToday), usd(s.costTotalUsd)]),
          [`all (${report.day})`, usd(report.totals.costTodayUsd), '', String(report.totals.tasksToday), usd(report.totals.costTotalUsd)],
        ],
      ),
    );
    return 0;
  },
};

function treeText(tree: TreeUsage): string {
  const head = fieldsText(`tree ${tree.root}`, [
    ['cost', usd(tree.costUsd)],
    ['budget', usd(tree.treeBudgetUsd)],
    ['tokens', tokens(tree.usage)],
    ['sessions', tree.sessions],
    ['tasks', tree.tasks],
  ]);
  const nodes = tableText(
    ['ID', 'KIND', 'SLOT', 'PARENT', 'STATE', 'COST', 'TOKENS'],
    tree.nodes.map((n) => [n.id, n.kind, n.slot, n.parentId ?? '—', n.state, usd(n.costUsd), tokens(n.usage)]),
  );
  return `${head}\n\n${nodes}`;
}

function parseDays(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 366)
    throw new UsageError(`--days must be a whole number from 1 to 366, not '${value}'`, 'usage');
  return value;
}
