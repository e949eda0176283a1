import type { FleetMetrics, Histogram, Sample } from '@mission/core';
import { AggregatorRegistry, type PrometheusContentType, prometheusContentType } from 'prom-client';

export { prometheusContentType };

/** A metric family as prom-client's `getMetricsAsJSON()` gives it (and `AggregatorRegistry.aggregate` takes it). */
interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  values: (Sample & { metricName?: string })[];
  aggregator: 'first';
}

const family = (type: Family['type'], name: string, help: string, values: Family['values']): Family => ({
  name,
  help,
  type,
  values,
  aggregator: 'first',
});

/** A histogram's `_bucket` (cumulative, up to `+Inf`), `_sum` and `_count` samples. */
function histogramValues(name: string, histogram: Histogram): Family['values'] {
  return histogram.series.flatMap(({ labels, cumulative, count, sum }) => [
    ...histogram.bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative[i]! })),
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
    { metricName: `${name}_sum`, labels, value: sum },
    { metricName: `${name}_count`, labels, value: count },
  ]);
}

function families(m: FleetMetrics): Family[] {
  return [
    family('gauge', 'mission_tasks', 'Tasks by slot and status.', m.tasks),
    family('gauge', 'mission_sessions', 'Interactive sessions by slot and state.', m.sessions),
    family('gauge', 'mission_workers', 'Workers in the registry by state.', m.workers),
    family('gauge', 'mission_queue_jobs', 'BullMQ jobs by queue and job state.', m.queueJobs),
    family('gauge', 'mission_queue_backlog', 'Jobs waiting for a worker (waiting + prioritized), by queue.', m.queueBacklog),
    family(
      'histogram',
      'mission_task_queue_wait_seconds',
      'Seconds ended tasks waited from submit to start, by slot.',
      histogramValues('mission_task_queue_wait_seconds', m.queueWaitSeconds),
    ),
    family(
      'histogram',
      'mission_task_duration_seconds',
      'Seconds ended tasks ran, by slot and final status.',
      histogramValues('mission_task_duration_seconds', m.taskDurationSeconds),
    ),
    family(
      'counter',
      'mission_permission_decisions_total',
      'Permission decisions by decision (allow, deny) and who decided (policy, token, link, timeout).',
      m.permissionDecisions,
    ),
    family(
      'counter',
      'mission_tokens_total',
      'Tokens used by tasks and sessions, by slot and kind (input, output, cache_read, cache_creation).',
      m.tokens,
    ),
    family('counter', 'mission_cost_usd_total', 'What tasks and sessions cost in USD, as Claude Code reported it, by slot.', m.costUsd),
    family(
      'gauge',
      'mission_cost_today_usd',
      'What the tasks that ended today (UTC) and the sessions recorded today cost in USD, by slot: what the daily budget counts.',
      m.costTodayUsd,
    ),
    family('gauge', 'mission_daily_budget_usd', 'Daily budget in USD of the slots that have one.', m.dailyBudgetUsd),
  ];
}

/**
 * The fleet's metrics in the Prometheus text format. The values were counted in Postgres and Redis,
 * not by this process, so they go into a registry of their own made from them for each scrape
 * (prom-client's way of exposing metrics gathered elsewhere) rather than into long-lived counters.
 */
export function prometheusText(metrics: FleetMetrics): Promise<string> {
  return AggregatorRegistry.aggregate<PrometheusContentType>([families(metrics)]).metrics();
}
