import { waitUntil } from '../support/processes.ts';
import { check, type CheckResult, recoveryTime } from './checker.ts';
import { type Cluster, FLEET_TIMING } from './cluster.ts';
import { gatherEvidence } from './evidence.ts';
import { History } from './history.ts';
import { FAULT_MS, type Fault } from './nemesis.ts';
import { Workload } from './workload.ts';

export interface PhaseReport {
  fault: string;
  description: string;
  result: CheckResult;
  /** Heal → the first probe task that succeeded (undefined: none did). */
  recoveryMs: number | undefined;
  durationMs: number;
}

const WORKER_TIMEOUT_MS = Number(FLEET_TIMING.MISSION_WORKER_TIMEOUT_MS);

/**
 * One phase of a run: the workload runs, the fault is injected once tasks are running, held for
 * {@link FAULT_MS}, healed; a probe task measures the recovery; then the workload stops, the phase's tasks
 * are given time to end, and the checker judges the phase's history and what it left in the database.
 * The fleet is whole again (every worker running and active) when it resolves.
 */
export async function runPhase(cluster: Cluster, fault: Fault, tag: string): Promise<PhaseReport> {
  const started = Date.now();
  const history = new History();
  const workload = new Workload(cluster, history, tag);
  workload.start();
  await waitUntil(
    async () =>
      (await cluster.db`select 1 from tasks where status = 'running' and prompt like ${`%${tag}-%`} limit 1`.catch(() => [])).length > 0,
    60_000,
    `a task of ${tag} to run`,
  );

  history.mark('nemesis', 'fault_start', { fault: fault.name });
  const heal = await fault.inject(cluster);
  await new Promise((resolve) => setTimeout(resolve, FAULT_MS)); // the fault's length, by design
  await heal();
  const healedAt = history.mark('nemesis', 'fault_end', { fault: fault.name }).invokedAt;

  await workload.probe();
  await workload.stop();
  // Everything the phase started has ended, its terminal event stored after its row (or the checker says
  // what has not), and any worker the fault silenced has been declared lost by now.
  await waitUntil(
    async () =>
      (
        await cluster.db`select 1 from tasks t where (t.prompt like ${`%${tag}-%`} or t.prompt like ${`%${tag}.%`}) and not exists (
          select 1 from events e where e.owner_id = t.id and e.type = 'state' and e.payload->>'state' in ('succeeded','failed','cancelled','timed_out')) limit 1`.catch(
          () => [1],
        )
      ).length === 0,
    60_000,
    `the tasks of ${tag} to end`,
  ).catch(() => {
    /* tasks that have not ended by then are the checker's to report (below) */
  });
  await waitUntil(() => history.now() - healedAt > 2 * WORKER_TIMEOUT_MS, 30_000, 'twice the worker timeout since the heal');

  const evidence = await gatherEvidence(cluster, tag, history.ops, workload.sessions);
  await workload.killSessions();
  await restoreFleet(cluster);
  return {
    fault: fault.name,
    description: fault.description,
    result: check(evidence),
    recoveryMs: recoveryTime(history.ops, healedAt),
    durationMs: Date.now() - started,
  };
}

/** Starts any worker that is not running and waits until the registry lists every one active. */
export async function restoreFleet(cluster: Cluster): Promise<void> {
  for (const worker of cluster.workers) if (!worker.process.running()) await worker.restart();
  await waitUntil(
    async () => (await cluster.liveWorkers().catch(() => [])).length === cluster.workers.length,
    90_000,
    'every worker to be live again',
  );
}
