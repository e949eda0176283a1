import type { Slot } from './schemas/slots.ts';

/**
 * The options a slot sets, in a few words each, for `mission slots` and the console (docs/slots.md): `—` when it
 * sets none. A module of its own, without zod, so the console can use it without bundling the schemas. Pure.
 */
export function slotOptionsText(
  slot: Pick<Slot, 'autoResume' | 'warmPool' | 'maxConcurrency' | 'dailyBudgetUsd' | 'treeBudgetUsd' | 'workspace' | 'keepWorkspace'>,
): string {
  const options = [
    slot.autoResume ? 'autoResume' : null,
    slot.warmPool ? `warm ${slot.warmPool.size} (idle ${slot.warmPool.idleSeconds}s)` : null,
    slot.maxConcurrency !== undefined ? `max ${slot.maxConcurrency} tasks` : null,
    slot.dailyBudgetUsd !== undefined ? `$${slot.dailyBudgetUsd}/day` : null,
    slot.treeBudgetUsd !== undefined ? `$${slot.treeBudgetUsd}/tree` : null,
    slot.workspace === 'worktree' ? `worktree${slot.keepWorkspace ? ' (kept)' : ''}` : null,
  ].filter((option) => option !== null);
  return options.length > 0 ? options.join(', ') : '—';
}
