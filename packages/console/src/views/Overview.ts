import { slotOptionsText } from '@mission/contracts/slotOptions';
import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { api, ApiError } from '../api/client.ts';
import type { Activity, Counts, DailySpend, Overview as OverviewData, QueueDepth, Slot, Usage, Worker } from '../api/types.ts';
import { Chart, type ChartSeries } from '../components/Chart.ts';
import { ErrorMessage, Pending } from '../components/ErrorMessage.ts';
import { StateBadge } from '../components/StateBadge.ts';
import { formatUsd } from '../format.ts';
import { usePoll } from '../hooks/usePoll.ts';
import { href } from '../router.ts';

const REFRESH_MS = 3_000;

/** `GET /v1/usage` comes from the metrics part of the API; a 404 (an API without it) shows "—". */
async function usageIfServed(): Promise<Usage | null> {
  try {
    return await api.get<Usage>('/v1/usage');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** The fleet at a glance: workers, queue depths, slots with their options, tasks and sessions by state, cost today. */
export function Overview() {
  const overview = usePoll(() => api.get<OverviewData>('/v1/overview'), REFRESH_MS, []);
  const workers = usePoll(() => api.get<{ workers: Worker[] }>('/v1/workers'), REFRESH_MS, []);
  const usage = usePoll(usageIfServed, REFRESH_MS, []);
  const slots = usePoll(() => api.get<{ slots: Slot[] }>('/v1/slots'), REFRESH_MS, []);
  if (!overview.data) return html`<${Pending} error=${overview.error} />`;
  const { tasks, sessions, queues } = overview.data;

  return html`<h1>Overview</h1>
    <${ErrorMessage} error=${overview.error} />
    <div class="cards">
      <${CountCard} title="Tasks" counts=${tasks.byStatus} link=${(status: string) => href({ view: 'tasks', status })} />
      <${CountCard} title="Sessions" counts=${sessions.byState} link=${() => href({ view: 'sessions' })} />
      <section class="card" data-testid="cost-today">
        <h2>Cost today</h2>
        <p class="big">${usage.data ? formatUsd(usage.data.totals.costTodayUsd) : '—'}</p>
        ${usage.data ? html`<p class="muted">${usage.data.totals.tasksToday} tasks on ${usage.data.day} (UTC)</p>` : null}
        <${ErrorMessage} error=${usage.error} />
      </section>
    </div>
    <${Trends} />
    <h2>Queues</h2>
    <${QueueTable} queues=${queues} />
    <h2>Workers</h2>
    <${ErrorMessage} error=${workers.error} />
    ${workers.data ? html`<${WorkerTable} workers=${workers.data.workers} />` : null}
    <h2>Slots</h2>
    <${ErrorMessage} error=${slots.error} />
    ${slots.data ? html`<${SlotTable} slots=${slots.data.slots} />` : null}
    ${usage.data && usage.data.slots.length > 0 ? html`<h2>Slots today</h2><${UsageTable} usage=${usage.data} />` : null}`;
}

function CountCard({ title, counts, link }: { title: string; counts: Counts; link: (state: string) => string }) {
  const entries = Object.entries(counts);
  const total = entries.reduce((sum, [, n]) => sum + (n ?? 0), 0);
  return html`<section class="card">
    <h2>${title} <span class="muted">${total}</span></h2>
    <ul class="counts">
      ${entries.length === 0 ? html`<li class="muted">none yet</li>` : entries.map(([state, n]) => html`<li><a href=${link(state)}><${StateBadge} state=${state} /> ${n}</a></li>`)}
    </ul>
  </section>`;
}

function QueueTable({ queues }: { queues: Record<string, QueueDepth> }) {
  const columns = ['backlog', 'waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
  return html`<table>
    <thead><tr><th>queue</th>${columns.map((c) => html`<th class="num">${c}</th>`)}</tr></thead>
    <tbody>
      ${Object.entries(queues).map(([name, depth]) => html`<tr><td>${name}</td>${columns.map((c) => html`<td class="num">${depth[c]}</td>`)}</tr>`)}
    </tbody>
  </table>`;
}

function WorkerTable({ workers }: { workers: Worker[] }) {
  if (workers.length === 0) return html`<p class="muted">No workers registered: start one with <code>npm run start:worker</code>.</p>`;
  return html`<table>
    <thead><tr><th>worker</th><th>host</th><th>state</th><th class="num">tasks</th><th class="num">sessions</th><th>slots</th><th class="num">heartbeat</th></tr></thead>
    <tbody>
      ${workers.map(
        (w) => html`<tr>
          <td><code>${w.id}</code></td>
          <td>${w.host} (${w.pid})</td>
          <td><${StateBadge} state=${w.state} /></td>
          <td class="num">${w.runningTasks} / ${w.capacity}</td>
          <td class="num">${w.liveSessions} / ${w.maxSessions}</td>
          <td>${w.slots ? w.slots.join(', ') : 'all'}</td>
          <td class="num">${(w.heartbeatAgeMs / 1000).toFixed(1)} s ago</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Each slot with its role, model, state (a usage-limit pause) and the options it sets (autoResume, warm pool, budgets…). */
function SlotTable({ slots }: { slots: Slot[] }) {
  return html`<table data-testid="slots">
    <thead><tr><th>slot</th><th>role</th><th>model</th><th>state</th><th>options</th></tr></thead>
    <tbody>
      ${slots.map(
        (s) => html`<tr>
          <td>${s.id}</td>
          <td>${s.role}</td>
          <td>${s.model ?? '—'}</td>
          <td>${s.pause ? html`<span title=${s.pause.reason}>paused until ${s.pause.until}</span>` : 'ready'}</td>
          <td>${slotOptionsText(s)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function UsageTable({ usage }: { usage: Usage }) {
  return html`<table>
    <thead><tr><th>slot</th><th class="num">tasks today</th><th class="num">cost today</th><th class="num">daily budget</th></tr></thead>
    <tbody>
      ${usage.slots.map(
        (s) => html`<tr>
          <td>${s.slot}</td>
          <td class="num">${s.tasksToday}</td>
          <td class="num">${formatUsd(s.costTodayUsd)}</td>
          <td class="num">${s.dailyBudgetUsd === null ? '—' : formatUsd(s.dailyBudgetUsd)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

const TREND_REFRESH_MS = 15_000;
const unixSeconds = (iso: string) => Date.parse(iso) / 1000;

/** Spend per day (30 days), tasks per minute and queue depth (60 minutes), as charts. */
function Trends() {
  const daily = usePoll(() => api.get<DailySpend>('/v1/usage/daily?days=30'), TREND_REFRESH_MS, []);
  const activity = usePoll(() => api.get<Activity>('/v1/usage/activity?minutes=60'), TREND_REFRESH_MS, []);
  // New arrays only when new data came: the charts are given data again only then, not on every render.
  const spend = useMemo(() => daily.data && spendSeries(daily.data), [daily.data]);
  const minutes = useMemo(() => activity.data && activitySeries(activity.data), [activity.data]);
  return html`<h2>Trends</h2>
    <${ErrorMessage} error=${daily.error ?? activity.error} />
    <div class="cards charts">
      ${spend ? html`<${Chart} title="Spend per day (UTC)" testId="chart-spend" format=${formatUsd} x=${spend.x} series=${spend.series} />` : null}
      ${
        minutes
          ? html`<${Chart} title="Tasks per minute" testId="chart-throughput" x=${minutes.x} series=${minutes.throughput} />
            <${Chart} title="Queue depth" testId="chart-queue" x=${minutes.x} series=${minutes.queue} />`
          : null
      }
    </div>`;
}

function spendSeries(daily: DailySpend): { x: number[]; series: ChartSeries[] } {
  return {
    x: daily.days.map((d) => unixSeconds(`${d.day}T00:00:00Z`)),
    series: [
      { label: 'tasks', values: daily.days.map((d) => d.tasksCostUsd), color: '#3b6fd4', bars: true },
      { label: 'sessions', values: daily.days.map((d) => d.sessionsCostUsd), color: '#d4843b' },
    ],
  };
}

function activitySeries(activity: Activity): { x: number[]; throughput: ChartSeries[]; queue: ChartSeries[] } {
  return {
    x: activity.minutes.map((m) => unixSeconds(m.at)),
    throughput: [
      { label: 'ended', values: activity.minutes.map((m) => m.tasksEnded), color: '#2e9e5b', bars: true },
      { label: 'started', values: activity.minutes.map((m) => m.tasksStarted), color: '#3b6fd4' },
    ],
    queue: [{ label: 'queued tasks', values: activity.minutes.map((m) => m.queued), color: '#9b3bd4' }],
  };
}
