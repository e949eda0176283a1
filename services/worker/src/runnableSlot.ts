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
  if (!isDirectory(found.slot.cwd)) return { problem: `slot '${found.slot.id}' working directory does not exist: ${found.slot.cwd}` };
  return { slot: found.slot, rules: found.role.rules };
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
