import type { Slot } from '@mission/contracts';
import type { Command } from '../command.ts';
import { fieldsText, tableText } from '../text.ts';

export const slotsCommand: Command = {
  name: 'slots',
  usage: '[--resume <slot>]',
  summary: 'List the slots, with any usage-limit pause; --resume ends a pause before its reset',
  details:
    'Each slot with its role, model, folder and state: `paused until <time>` while a usage or rate limit Claude hit keeps its tasks ' +
    'waiting (they start by themselves at the reset). --resume <slot> ends the pause now (admin): its waiting tasks start at once. ' +
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
        ['SLOT', 'ROLE', 'MODEL', 'STATE', 'CWD'],
        slots.map((slot) => [slot.id, slot.role, slot.model ?? '—', slotState(slot), slot.cwd]),
      ),
    );
    return 0;
  },
};

function slotState(slot: Slot): string {
  return slot.pause ? `paused until ${slot.pause.until} (${slot.pause.reason})` : 'ready';
}
