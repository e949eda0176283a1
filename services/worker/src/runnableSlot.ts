import fs from 'node:fs';
import { type Database, type RoleInForce, type SlotRow, slotWithRoleInForce } from '@mission/store';

export type { SlotRow } from '@mission/store';

/** The slot a task or session runs in with its role in force, or why it cannot run there (the slot is gone, its folder is missing). */
export async function loadRunnableSlot(db: Database, slotId: string): Promise<{ slot: SlotRow; role: RoleInForce } | { problem: string }> {
  const found = await slotWithRoleInForce(db, slotId);
  if (!found) return { problem: `slot '${slotId}' no longer exists` };
  if (!isDirectory(found.slot.cwd)) return { problem: `slot '${slotId}' working directory does not exist: ${found.slot.cwd}` };
  return found;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
