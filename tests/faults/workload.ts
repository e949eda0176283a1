import type { Cluster } from './cluster.ts';
import { type History, type Op, outcomeOfStatus } from './history.ts';
import { marker } from './script.ts';

const TERMINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** Calls the API and records the call: the JSON answer comes back in the op's `value.body`. */
async function call(
  cluster: Cluster,
  history: History,
  client: string,
  kind: Op['kind'],
  value: Record<string, unknown>,
  route: string,
  init: { method?: string; body?: unknown; api?: Cluster['apis'][number]; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Op> {
  return history.record(client, kind, value, async () => {
    const res = await cluster.fetch(route, {
      method: init.method ?? 'GET',
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      api: init.api,
      timeoutMs: init.timeoutMs,
      headers: init.headers,
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    return { outcome: outcomeOfStatus(res.status), status: res.status, value: { body } };
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The phase's tasks not ended yet beyond which no new one is submitted: the fleet's task capacity (3 workers ×
 * 2) and as many waiting. The workload offers a task every 0.9 s, faster than a loaded machine runs them;
 * bounded, the backlog stays what the fleet can end within the phase, on an idle machine or a busy one.
 */
const MAX_TASKS_IN_FLIGHT = 12;

/**
 * The clients of one phase: tasks (every other one `retry: "safe"`), two interactive sessions with sends
 * and messages from one to the other, an approval two clients decide at once (one approves, one denies),
 * a coordination. They run until `stop()`; every call lands in the history.
 */
export class Workload {
  private stopped = false;
  private counter = 0;
  readonly sessions: string[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly history: History,
    /** Tag of the phase: in every marker, so the phase's tasks and turns are told apart. */
    readonly phase: string,
  ) {}

  private next(kind: string): string {
    return `${this.phase}-${kind}-${++this.counter}`;
  }

  start(): void {
    this.loops.push(this.tasks(), this.interactive(), this.approval(), this.coordination());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Submits a task (with an idempotency key, so a lost answer can be looked up) and records it. */
  submit(kind: 'task' | 'safe' | 'appr' | 'probe', client = 'tasks'): Promise<Op> {
    const id = this.next(kind);
    const body = {
      prompt: `${marker(id)} do the work`,
      ...(kind === 'safe' || kind === 'probe' ? { retry: 'safe' } : {}),
      timeoutMs: 120_000,
    };
    return call(this.cluster, this.history, client, 'submit_task', { key: id }, '/v1/tasks', {
      method: 'POST',
      body,
      headers: { 'idempotency-key': id },
    }).then((op) => {
      op.value.taskId = (op.value.body as { id?: string } | undefined)?.id;
      return op;
    });
  }

  /** Submits a probe task and follows it to its end: recorded as one `task_final` op. */
  async probe(): Promise<Op> {
    return this.history.record('probe', 'task_final', { probe: true }, async () => {
      for (;;) {
        const submitted = await this.submit('probe', 'probe');
        const id = submitted.value.taskId as string | undefined;
        if (!id) {
          await sleep(500);
          continue;
        }
        const status = await this.waitForEnd(id, 120_000);
        return { outcome: status === 'succeeded' ? 'ok' : 'fail', value: { taskId: id, status } };
      }
    });
  }

  /** Polls a task until it ends (any API that answers); its last status, or `unknown` at the deadline. */
  async waitForEnd(taskId: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await this.cluster
        .fetch(`/v1/tasks/${taskId}`, { timeoutMs: 5_000 })
        .then(async (res) => ((await res.json()) as { status?: string }).status)
        .catch(() => undefined);
      if (status && TERMINAL.includes(status)) return status;
      await sleep(300);
    }
    return 'unknown';
  }

  private async tasks(): Promise<void> {
    for (let i = 0; !this.stopped; ) {
      if ((await this.tasksInFlight()) < MAX_TASKS_IN_FLIGHT) void this.submit(i++ % 2 === 0 ? 'task' : 'safe');
      await sleep(900);
    }
  }

  /** The phase's tasks queued or running, as the database says (0 when it does not answer within a second: the client submits anyway). */
  private async tasksInFlight(): Promise<number> {
    const count = this.cluster
      .db`select count(*)::int as n from tasks where prompt like ${`%${this.phase}-%`} and status in ('queued', 'running')`.then(
      (rows) => Number(rows[0]?.n ?? 0),
      () => 0,
    );
    return Promise.race([count, sleep(1_000).then(() => 0)]);
  }

  private async interactive(): Promise<void> {
    for (const _ of [0, 1]) {
      const op = await call(this.cluster, this.history, 'sessions', 'start_session', {}, '/v1/sessions', {
        method: 'POST',
        body: { slot: 'default' },
        timeoutMs: 60_000,
      });
      const id = (op.value.body as { id?: string } | undefined)?.id;
      if (id) this.sessions.push(id);
    }
    const [from, to] = this.sessions;
    while (!this.stopped && from && to) {
      await call(this.cluster, this.history, 'sessions', 'send', { sessionId: from }, `/v1/sessions/${from}/send`, {
        method: 'POST',
        body: { text: `${marker(this.next('send'))} say ok`, timeoutMs: 20_000 },
        timeoutMs: 30_000,
      });
      await call(this.cluster, this.history, 'sessions', 'message', { sessionId: to }, `/v1/sessions/${to}/messages`, {
        method: 'POST',
        body: { text: `${marker(this.next('msg'))} hello`, from },
        timeoutMs: 30_000,
      });
      await sleep(1_500);
    }
  }

  /** One task that asks to run a command; once its approval is pending, two clients decide it at once. */
  private async approval(): Promise<void> {
    const submitted = await this.submit('appr', 'approvals');
    const taskId = submitted.value.taskId as string | undefined;
    if (!taskId) return;
    let approvalId: string | undefined;
    while (!this.stopped && !approvalId) {
      const res = await this.cluster.fetch('/v1/approvals?status=pending', { timeoutMs: 5_000 }).catch(() => undefined);
      const body = ((await res?.json().catch(() => undefined)) ?? {}) as { approvals?: { id: string; owner: { id: string } }[] };
      approvalId = body.approvals?.find((a) => a.owner.id === taskId)?.id;
      if (!approvalId) await sleep(300);
    }
    if (!approvalId) return;
    const [first, second] = [this.cluster.apis[0], this.cluster.apis.at(-1)];
    await Promise.all([
      call(
        this.cluster,
        this.history,
        'approver-1',
        'approve',
        { approvalId, decision: 'approve' },
        `/v1/approvals/${approvalId}/approve`,
        { method: 'POST', body: {}, api: first },
      ),
      call(this.cluster, this.history, 'approver-2', 'approve', { approvalId, decision: 'deny' }, `/v1/approvals/${approvalId}/deny`, {
        method: 'POST',
        body: { reason: 'the other one' },
        api: second,
      }),
    ]);
  }

  private async coordination(): Promise<void> {
    const tasks = { default: `${marker(this.next('coord'))} part a`, beta: `${marker(this.next('coord'))} part b` };
    await call(this.cluster, this.history, 'coordinator', 'coordinate', {}, '/v1/coordinate', {
      method: 'POST',
      body: { goal: `fault coordination ${this.phase}.`, tasks, failurePolicy: 'collect_all', timeoutMs: 60_000 },
      timeoutMs: 70_000,
    });
  }

  /** Ends the phase's sessions (those still live): recorded, since a kill is a client call too. */
  async killSessions(): Promise<void> {
    for (const id of this.sessions) {
      await call(this.cluster, this.history, 'sessions', 'kill_session', { sessionId: id }, `/v1/sessions/${id}/kill`, {
        method: 'POST',
        body: {},
      });
    }
  }
}
