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
