/**
 * When a slot whose agent hit a usage or rate limit may start work again. Claude Code tells the reset of a
 * claude.ai subscriber's limit (`rate_limit_event` … `resetsAt`, in seconds since the epoch); an API key's
 * 429 comes without one, after the CLI's own retries: then the slot waits {@link LIMIT_PAUSE_WITHOUT_RESET_MS}.
 */
export const LIMIT_PAUSE_WITHOUT_RESET_MS = 60_000;

/** The end of a slot's pause: the reset Claude Code reported when it is still ahead, else a minute from `nowMs`. */
export function limitPauseUntil(resetsAtSeconds: number | null, nowMs: number): Date {
  const reset = resetsAtSeconds === null ? null : resetsAtSeconds * 1000;
  return new Date(reset !== null && reset > nowMs ? reset : nowMs + LIMIT_PAUSE_WITHOUT_RESET_MS);
}

/** The prompt that goes on with a turn a usage limit stopped (Claude Code's own words when it continues by itself). */
export const CONTINUE_AFTER_LIMIT_PROMPT =
  'You can continue now. Continue the task you were working on when the usage limit was reached; do not repeat work that is already complete.';

/** Claude Code's words for a reset on its limit screens: "resets 1:01pm (UTC)", "resets 5am (Europe/Paris)". */
const RESET_TIME = /\bresets (\d{1,2})(?::(\d{2}))?\s*([ap]m)(?:\s*\(([^)]+)\))?/i;

/**
 * The reset a limit's text names (seconds since the epoch), for when the CLI recorded none with it: the next
 * time on or after `nowMs` (less a minute, the text rounds down) that the clock in its time zone (UTC when it
 * names none) shows that hour. Null when the text names no time, or a zone this runtime does not know. Pure.
 */
export function resetFromLimitText(text: string, nowMs: number): number | null {
  const match = RESET_TIME.exec(text);
  if (!match) return null;
  const [, hourText = '', minuteText = '0', half = '', zone = 'UTC'] = match;
  const hour = (Number(hourText) % 12) + (half.toLowerCase() === 'pm' ? 12 : 0);
  const minute = Number(minuteText);
  let today: number[];
  try {
    today = wallClock(nowMs, zone);
  } catch {
    return null;
  }
  const [year = 0, month = 0, day = 0] = today;
  for (const dayOffset of [0, 1]) {
    const wall = Date.UTC(year, month - 1, day + dayOffset, hour, minute);
    // The zone's offset at that wall time (read at the instant it would be with today's offset).
    const guess = wall - zoneOffset(wall, zone);
    const at = wall - zoneOffset(guess, zone);
    if (at >= nowMs - 60_000) return Math.floor(at / 1000);
  }
  return null;
}

/** Year, month (1-12), day, hour, minute, second the clock in `zone` shows at `ms`; throws on an unknown zone. */
function wallClock(ms: number, zone: string): number[] {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(ms);
  const part = (type: string) => Number(parts.find((each) => each.type === type)?.value ?? 0);
  return [part('year'), part('month'), part('day'), part('hour'), part('minute'), part('second')];
}

/** How far `zone`'s clock is ahead of UTC at `ms`, in ms. */
function zoneOffset(ms: number, zone: string): number {
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = wallClock(ms, zone);
  return Date.UTC(year, month - 1, day, hour, minute, second) - Math.floor(ms / 1000) * 1000;
}
