import type { Slot } from '@mission/contracts';
import { slotOptionsText } from '@mission/contracts/slotOptions';
import type { Command } from '../command.ts';
import { fieldsText, tableText } from '../text.ts';

export const slotsCommand: Command = {
  name: 'slots',
  usage: '[--resume <slot>]',
  summary: 'List the slots, with their options and any usage-limit pause; --resume ends a pause before its reset',
  details:
    'Each slot with its role, model, state, folder and options: `paused until <time>` while a usage or rate limit Claude hit keeps its tasks ' +
    'waiting (they start by themselves at the reset); OPTIONS lists what the slot sets (autoResume, warm pool, task cap, budgets, ' +
    'worktree workspace). --resume <slot> ends the pause now (admin): its waiting tasks start at once. ' +
    "--json gives the API's answer (GET /v1/slots, POST /v1/slots/:id/resume).",
  arguments: [],
  options: { resume: { type: 'string' } },
  async run({ api, printer }, { options }) {
    if (typeof options.resume === 'string') {
      const slot = await api.request<Slot>('POST', `/v1/slots/${encodeURIComponent(options.resume)}/resume`);
      printer.result(slot, () => fieldsText(`${slot.id}  ${slotState(slot)}`, [['cwd', slot.cwd]]));
      return 0;
    }
    const { slots } = await api.request<{ slots: Slot[] }>('GET', '/v1/slots');
    printer.result({ slots }, () =>
      tableText(
        ['SLOT', 'ROLE', 'MODEL', 'STATE', 'CWD', 'OPTIONS'],
        slots.map((slot) => [slot.id, slot.role, slot.model ?? '—', slotState(slot), slot.cwd, slotOptionsText(slot)]),
      ),
    );
    return 0;
  },
};

function slotState(slot: Slot): string {
  return slot.pause ? `paused until ${slot.pause.until} (${slot.pause.reason})` : 'ready';
}
