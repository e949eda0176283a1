import { waitUntil } from './processes.ts';
import type { TestSystem } from './system.ts';

/** How a suite's tasks start their agent: `cold` (spawned for the task) or `warm` (taken from the slot's pool). */
export type AgentStart = 'cold' | 'warm';

/** A slot's `warmPool` for a suite run with warm agents: one agent, kept for the whole suite. */
export const warmPoolFor = (start: AgentStart) => (start === 'warm' ? { warmPool: { size: 1, idleSeconds: 3_600 } } : {});

/**
 * With warm agents, waits until the slot has one waiting (the worker's pools brought in line with the
 * slots first, for a slot made after it started), so the next task of the slot is handed a warm agent.
 */
export async function warmAgentReady(system: TestSystem, slotId: string, start: AgentStart): Promise<void> {
  if (start === 'cold') return;
  const pools = system.worker!.warmPools;
  if (pools.ready(slotId) > 0) return;
  await pools.reconcile();
  await waitUntil(() => pools.ready(slotId) > 0, 30_000, `a warm agent of slot '${slotId}'`);
}
