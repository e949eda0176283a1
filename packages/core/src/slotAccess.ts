import { type Caller, MissionError, slotMatches } from '@mission/contracts';
import { type Database, roleInForce } from '@mission/store';
import { recordAudit } from './audit.ts';

/** What an agent does with a slot, in words for the refusal and the audit row. */
export type SlotUse = 'submit' | 'ask' | 'spawn' | 'coordinate' | 'message';

const USE_WORDS: Record<SlotUse, string> = {
  submit: 'submit a task to',
  ask: 'ask',
  spawn: 'spawn a session on',
  coordinate: 'coordinate a task on',
  message: 'send a message into',
};

/** Whether a role's `slots` (names, or globs with `*`) let its agents use `slot`; null: any slot. */
export function roleAllowsSlot(patterns: readonly string[] | null, slot: string): boolean {
  if (patterns === null) return true;
  return patterns.some((pattern) => slotMatches(pattern, slot));
}

/**
 * An agent (a caller with a child token) may use only the slots its role's `slots` names, whatever path it
 * comes by (MCP tool or REST); operators any. A refusal is recorded in the audit trail (`slot_denied`) and
 * is a 403 that says which slots the role allows.
 */
export async function assertAgentMayUseSlot(db: Database, caller: Caller | undefined, slot: string, use: SlotUse): Promise<void> {
  const agent = caller?.agent;
  if (!caller || !agent) return;
  const role = await roleInForce(db, agent.role);
  const allowed = role.rules.slots;
  if (roleAllowsSlot(allowed, slot)) return;
  await recordAudit(db, {
    kind: 'slot_denied',
    actor: caller.label,
    target: slot,
    details: { subject: agent.id, use, role: agent.role, roleVersion: role.version, slots: allowed },
  });
  const allows = allowed && allowed.length > 0 ? `only the slots ${allowed.join(', ')}` : 'no slots';
  throw new MissionError(
    'forbidden',
    `forbidden: role '${agent.role}' lets its agents use ${allows}, so ${agent.kind} ${agent.id} may not ${USE_WORDS[use]} slot '${slot}' (the role's \`slots\`)`,
  );
}
