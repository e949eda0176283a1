import fs from 'node:fs';
import { type Database, slotRow, type SlotRow } from '@mission/store';

export type { SlotRow } from '@mission/store';

/** The slot a task or session runs in, or why it cannot run there (the slot is gone, its folder is missing). */
export async function loadRunnableSlot(db: Database, slotId: string): Promise<{ slot: SlotRow } | { problem: string }> {
  const slot = await slotRow(db, slotId);
  if (!slot) return { problem: `slot '${slotId}' no longer exists` };
  if (!isDirectory(slot.cwd)) return { problem: `slot '${slot.id}' working directory does not exist: ${slot.cwd}` };
  return { slot };
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
