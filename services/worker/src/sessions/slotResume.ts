import { setTimeout as sleep } from 'node:timers/promises';
import { activeSlotPause, type Database, type Logger, type SlotPauses } from '@mission/store';

/**
 * Resolves once `slot` takes work again (its pause ended: the reset came, or an admin resumed it early): true,
 * or false when `signal` aborted first (the session waiting for it ended). The pause is looked at every
 * `pollMs` and at its end; a pause whose end came is ended here with its `slot_resumed` (whichever process
 * looks first does it), so that event is stored before anything the waiting session does next. A failed look
 * (Postgres away) is logged and tried again after `pollMs`.
 */
export async function slotResumed(
  deps: { db: Database; pauses: SlotPauses; pollMs: number; log: Logger },
  slot: string,
  signal: AbortSignal,
): Promise<boolean> {
  while (!signal.aborted) {
    let wait = deps.pollMs;
    try {
      const pause = await activeSlotPause(deps.db, slot);
      if (!pause) {
        await deps.pauses.resumeDue();
        return !signal.aborted;
      }
      wait = Math.min(deps.pollMs, Math.max(0, pause.pausedUntil.getTime() - Date.now()));
    } catch (error) {
      deps.log.warn({ err: error, slot }, "could not tell whether the slot's usage limit has reset: looking again");
    }
    const woke = await sleep(wait, true, { signal }).catch(() => false);
    if (!woke) return false;
  }
  return false;
}
