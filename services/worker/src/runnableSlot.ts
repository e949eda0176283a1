import fs from 'node:fs';
import type { RoleRules } from '@mission/contracts';
import { type Database, type RoleInForce, type SlotRow, type SlotWithRole, slotWithRoleInForce } from '@mission/store';

export type { SlotRow } from '@mission/store';

/** The slot a task or session runs in with its role in force, or why it cannot run there (the slot is gone, its folder is missing). */
export async function loadRunnableSlot(db: Database, slotId: string): Promise<{ slot: SlotRow; role: RoleInForce } | { problem: string }> {
  const found = await slotWithRoleInForce(db, slotId);
  if (!found) return { problem: `slot '${slotId}' no longer exists` };
  const runnable = checkRunnable(found);
  return 'problem' in runnable ? runnable : found;
}

/** A task's slot and its role in force, read already (with the claim): its rules, or why it cannot run there. */
export function checkRunnable(found: SlotWithRole): { slot: SlotRow; rules: RoleRules } | { problem: string } {
  const problem = folderProblem(found.slot.cwd);
  if (problem) return { problem: `slot '${found.slot.id}' working directory ${problem}: ${found.slot.cwd}` };
  return { slot: found.slot, rules: found.role.rules };
}

/** Why `dir` cannot be a working directory (it does not exist, is not a folder, or cannot be looked at); undefined if it can. */
function folderProblem(dir: string): string | undefined {
  try {
    return fs.statSync(dir).isDirectory() ? undefined : 'is not a folder';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be reached by the worker (${code ?? 'unknown error'})`;
  }
}
