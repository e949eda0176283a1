import type { CheckInput } from './checker.ts';
import type { Cluster } from './cluster.ts';
import type { Op } from './history.ts';
import { MARKER, promptRuns, turnCounts } from './script.ts';

/**
 * Gathers what the checker judges for one phase: the phase's tasks, sessions, their events, approvals
 * and messages from the database, and the runs and deliveries the stubs saw.
 */
export async function gatherEvidence(cluster: Cluster, phase: string, history: Op[], sessionIds: string[]): Promise<CheckInput> {
  const sql = cluster.db;
  const tasks = await sql<
    {
      id: string;
      idempotency_key: string | null;
      mode: string;
      status: string;
      retry: string;
      max_attempts: number;
      error: string | null;
      prompt: string;
      terminal: number;
    }[]
  >`
    select t.id, t.idempotency_key, t.mode, t.status, t.retry, t.max_attempts, t.error, t.prompt,
      (select count(*)::int from events e where e.owner_id = t.id and e.type = 'state'
        and e.payload->>'state' in ('succeeded', 'failed', 'cancelled', 'timed_out')) as terminal
    from tasks t where t.prompt like ${`%${phase}-%`} or t.prompt like ${`%${phase}.%`}`;
  const sessions =
    sessionIds.length === 0
      ? []
      : await sql<
          { id: string; state: string; owner_worker: string | null }[]
        >`select id, state, owner_worker from sessions where id in ${sql(sessionIds)}`;
  const owners = [...tasks.map((t) => t.id), ...sessionIds];
  const events =
    owners.length === 0
      ? []
      : await sql<{ owner_id: string; seq: number; terminal: boolean }[]>`
    select owner_id, seq, (type = 'state' and payload->>'state' in ('succeeded', 'failed', 'cancelled', 'timed_out', 'exited', 'lost')) as terminal
    from events where owner_id in ${sql(owners)}`;
  const approvals =
    tasks.length === 0
      ? []
      : await sql<{ id: string; status: string; decisions: number }[]>`
    select a.id, a.status, (select count(*)::int from permission_decisions d where d.approval_id = a.id) as decisions
    from approvals a where a.owner_id in ${sql(tasks.map((t) => t.id))}`;
  const messages =
    sessionIds.length === 0
      ? []
      : await sql<
          { id: string; to_session_id: string; status: string; text: string }[]
        >`select id, to_session_id, status, text from session_messages where to_session_id in ${sql(sessionIds)}`;

  const taskByMarker = new Map(tasks.flatMap((t) => [...t.prompt.matchAll(new RegExp(MARKER, 'g'))].map((m) => [m[1]!, t.id] as const)));
  const turns = turnCounts(cluster.seen);
  return {
    history,
    tasks: tasks.map((t) => ({
      id: t.id,
      idempotencyKey: t.idempotency_key,
      mode: t.mode,
      status: t.status,
      retry: t.retry,
      maxAttempts: t.max_attempts,
      error: t.error,
      terminalStateEvents: t.terminal,
    })),
    runs: promptRuns(cluster.seen, taskByMarker),
    sessions: sessions.map((s) => ({ id: s.id, state: s.state, ownerWorker: s.owner_worker })),
    liveWorkers: await cluster.liveWorkers(),
    events: events.map((e) => ({ ownerId: e.owner_id, seq: e.seq, terminal: e.terminal })),
    approvals: approvals.map((a) => ({ id: a.id, status: a.status, decisions: a.decisions })),
    messages: messages.map((m) => ({
      id: m.id,
      sessionId: m.to_session_id,
      status: m.status,
      deliveries: turns.get(MARKER.exec(m.text)?.[1] ?? '') ?? 0,
    })),
  };
}
