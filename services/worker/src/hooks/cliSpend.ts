import type { EventPayload } from '@mission/contracts';
import { addUsage } from '../modelTokens.ts';

/**
 * An agent's running cost, as its claude reports it while it runs: the CLI's own OpenTelemetry metrics
 * (`claude_code.cost.usage` in USD, `claude_code.token.usage` by token type, each by model), exported as OTLP/HTTP JSON
 * to its worker (a session's route on the hook endpoint, a task's on the permission-prompt server). The CLI writes its
 * total only as it ends (a session's `cost-state` record, a task's result line); these come every
 * MISSION_COST_REPORT_MS meanwhile. Recorded from CLI 2.1.332:
 * tests/fixtures/claude/<version>/hooks/cost-telemetry.json.
 */

/** One model's counters, named as the CLI's `modelUsage` (a `cost-state` record's, a task's `result` line's) names them. */
export type ModelCounters = Record<string, number>;

/** What a claude has cost so far: USD, and its tokens by model (`{model: {inputTokens, …, costUSD}}`, as `modelUsage`). */
export interface CliSpend {
  costUsd: number;
  modelUsage: Record<string, ModelCounters>;
}

/** The path, under a session's hook route, its claude exports its metrics to (OTLP/HTTP's own for metrics). */
export const METRICS_PATH = '/v1/metrics';

/** OTLP's aggregation temporality of a sum that counts from the process's start (each export carries the whole total). */
const CUMULATIVE = 2;
const COST_METRIC = 'claude_code.cost.usage';
const TOKEN_METRIC = 'claude_code.token.usage';
/** The CLI's token types (the `type` attribute of its token metric) as `modelUsage` names their counters. */
const TOKEN_COUNTERS: Record<string, string> = {
  input: 'inputTokens',
  output: 'outputTokens',
  cacheRead: 'cacheReadInputTokens',
  cacheCreation: 'cacheCreationInputTokens',
};

interface DataPoint {
  attributes?: { key?: unknown; value?: Record<string, unknown> }[];
  asDouble?: unknown;
  asInt?: unknown;
}
interface Metric {
  name?: unknown;
  sum?: { aggregationTemporality?: unknown; dataPoints?: DataPoint[] };
}

/**
 * The spend one OTLP metrics export (ExportMetricsServiceRequest as JSON) tells: the cost and tokens the claude that
 * sent it has counted since it started, summed over what its data points split them by (model, subagents' requests,
 * effort) and kept by model. Null when it carries no cost (the exports before the first model request), or counts it
 * otherwise than from the start (a delta export could not be told apart from a total). Pure.
 */
export function spendFromMetrics(request: unknown): CliSpend | null {
  const metrics = metricsOf(request);
  const cost = metrics.find((metric) => metric.name === COST_METRIC);
  if (!cost?.sum || cost.sum.aggregationTemporality !== CUMULATIVE) return null;
  const spend: CliSpend = { costUsd: 0, modelUsage: {} };
  for (const point of cost.sum.dataPoints ?? []) {
    const usd = valueOf(point);
    spend.costUsd += usd;
    count(spend, attribute(point, 'model'), 'costUSD', usd);
  }
  const tokens = metrics.find((metric) => metric.name === TOKEN_METRIC);
  if (tokens?.sum?.aggregationTemporality === CUMULATIVE)
    for (const point of tokens.sum.dataPoints ?? []) {
      const counter = TOKEN_COUNTERS[attribute(point, 'type') ?? ''];
      if (counter) count(spend, attribute(point, 'model'), counter, valueOf(point));
    }
  return spend;
}

/** Two spends added up, model by model (what an earlier claude of the session spent, and what this one has). Pure. */
export function addSpend(earlier: CliSpend, later: CliSpend): CliSpend {
  return {
    costUsd: earlier.costUsd + later.costUsd,
    modelUsage: addUsage(earlier.modelUsage, later.modelUsage) as CliSpend['modelUsage'],
  };
}

/**
 * `earlier` without `part` of it, model by model: what a task's earlier runs cost beside the Claude session a run
 * resumes (which the resumed CLI counts again). No figure falls below zero. Pure.
 */
export function withoutSpend(earlier: CliSpend, part: CliSpend): CliSpend {
  const modelUsage: CliSpend['modelUsage'] = {};
  for (const [model, counters] of Object.entries(earlier.modelUsage))
    modelUsage[model] = Object.fromEntries(
      Object.entries(counters).map(([name, n]) => [name, Math.max(0, n - (part.modelUsage[model]?.[name] ?? 0))]),
    );
  return { costUsd: Math.max(0, earlier.costUsd - part.costUsd), modelUsage };
}

/**
 * The spend a `usage` event tells (`{costUsd, usage}`, `usage` the CLI's `modelUsage`): what an earlier claude of a
 * resumed session, or a task's earlier runs, had cost. Pure.
 */
export function spendOfUsage(payload: EventPayload<'usage'>): CliSpend {
  return { costUsd: payload.costUsd, modelUsage: countersByModel(payload.usage) };
}

/** The numeric counters of usage by model (the CLI's `modelUsage`; its `canonicalModel`, `provider`, … left out). Pure. */
export function countersByModel(usage: Record<string, unknown>): Record<string, ModelCounters> {
  const byModel: Record<string, ModelCounters> = {};
  for (const [model, counters] of Object.entries(usage)) {
    if (!counters || typeof counters !== 'object') continue;
    byModel[model] = Object.fromEntries(
      Object.entries(counters).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
    );
  }
  return byModel;
}

function metricsOf(request: unknown): Metric[] {
  const resources = (request as { resourceMetrics?: unknown } | null)?.resourceMetrics;
  if (!Array.isArray(resources)) return [];
  return resources.flatMap((resource: { scopeMetrics?: unknown }) =>
    Array.isArray(resource?.scopeMetrics)
      ? resource.scopeMetrics.flatMap((scope: { metrics?: unknown }) => (Array.isArray(scope?.metrics) ? (scope.metrics as Metric[]) : []))
      : [],
  );
}

/** A data point's value: a double, or an int64 (a string in OTLP's JSON, or a number). Anything else counts nothing. */
function valueOf(point: DataPoint): number {
  const value = Number(point.asDouble ?? point.asInt);
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

function attribute(point: DataPoint, key: string): string | undefined {
  const value = point.attributes?.find((a) => a.key === key)?.value?.stringValue;
  return typeof value === 'string' ? value : undefined;
}

function count(spend: CliSpend, model: string | undefined, counter: string, n: number): void {
  const counters = (spend.modelUsage[model ?? 'unknown'] ??= {});
  counters[counter] = (counters[counter] ?? 0) + n;
}
