import type { MissionEvent, NotificationKind } from '@mission/contracts';

/**
 * The one place notifications come from: the kind of notification an event is, if any. Pure, so the
 * mapping is the documented contract (docs/notifications.md) and tested as such.
 */
export function notificationKindOf(event: MissionEvent): NotificationKind | undefined {
  switch (event.type) {
    case 'approval_requested':
      return 'approval_requested';
    case 'error':
      return event.payload.code === 'budget_exhausted' ? 'budget_exhausted' : undefined;
    case 'slot_paused':
      return 'slot_paused';
    case 'slot_resumed':
      return 'slot_resumed';
    case 'state':
      return event.ownerKind === 'task' ? taskKind(event.payload.state) : sessionKind(event.payload.state);
    default:
      return undefined;
  }
}

function taskKind(state: string): NotificationKind | undefined {
  if (state === 'succeeded') return 'task_succeeded';
  if (state === 'failed' || state === 'timed_out') return 'task_failed';
  return undefined;
}

function sessionKind(state: string): NotificationKind | undefined {
  if (state === 'blocked') return 'blocked';
  if (state === 'idle') return 'needs_input';
  if (state === 'lost') return 'session_lost';
  return undefined;
}
