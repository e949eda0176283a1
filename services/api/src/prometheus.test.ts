import type { FleetMetrics } from '@mission/core';
import { describe, expect, it } from 'vitest';
import { prometheusText } from './prometheus.ts';

const none = { bounds: [1], series: [] };
const empty: FleetMetrics = {
  tasks: [],
  sessions: [],
  workers: [],
  queueJobs: [],
  queueBacklog: [],
  queueWaitSeconds: none,
  taskDurationSeconds: none,
  permissionDecisions: [],
  tokens: [],
  costUsd: [],
  costTodayUsd: [],
  dailyBudgetUsd: [],
};

/** The lines of one family: its HELP, TYPE and samples. */
const family = (text: string, name: string) =>
  text
    .split('\n\n')
    .find((block) => block.includes(`# TYPE ${name} `))
    ?.split('\n');

describe('prometheusText', () => {
  it('writes gauges and counters with their labels and types', async () => {
    const text = await prometheusText({
      ...empty,
      tasks: [
        { labels: { slot: 'ci', status: 'succeeded' }, value: 3 },
        { labels: { slot: 'ci', status: 'running' }, value: 0 },
      ],
      costUsd: [{ labels: { slot: 'ci' }, value: 0.0125 }],
    });
    expect(family(text, 'mission_tasks')).toEqual([
      '# HELP mission_tasks Tasks by slot and status.',
      '# TYPE mission_tasks gauge',
      'mission_tasks{slot="ci",status="succeeded"} 3',
      'mission_tasks{slot="ci",status="running"} 0',
    ]);
    expect(family(text, 'mission_cost_usd_total')?.slice(1)).toEqual([
      '# TYPE mission_cost_usd_total counter',
      'mission_cost_usd_total{slot="ci"} 0.0125',
    ]);
  });

  it('writes a histogram as cumulative buckets up to +Inf, then its sum and count', async () => {
    const text = await prometheusText({
      ...empty,
      taskDurationSeconds: {
        bounds: [1, 10],
        series: [{ labels: { slot: 'ci', status: 'failed' }, cumulative: [2, 3], count: 4, sum: 61.5 }],
      },
    });
    expect(family(text, 'mission_task_duration_seconds')?.slice(1)).toEqual([
      '# TYPE mission_task_duration_seconds histogram',
      'mission_task_duration_seconds_bucket{slot="ci",status="failed",le="1"} 2',
      'mission_task_duration_seconds_bucket{slot="ci",status="failed",le="10"} 3',
      'mission_task_duration_seconds_bucket{slot="ci",status="failed",le="+Inf"} 4',
      'mission_task_duration_seconds_sum{slot="ci",status="failed"} 61.5',
      'mission_task_duration_seconds_count{slot="ci",status="failed"} 4',
    ]);
  });

  it('still declares a family with no samples yet', async () => {
    expect(family(await prometheusText(empty), 'mission_permission_decisions_total')?.slice(1)).toEqual([
      '# TYPE mission_permission_decisions_total counter',
    ]);
  });
});
