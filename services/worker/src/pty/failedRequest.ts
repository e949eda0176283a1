/** How Claude Code's report of a failed model request starts, drawn where Claude's reply goes (2.1.332). */
const FAILED_REQUEST_REPORT = 'API Error';

/**
 * The CLI's report of a failed model request, when `text` (a text block of the screen's transcript, or a turn's
 * reply read off it) is one: "API Error: 500 Internal server boom. …", drawn in Claude's place — the screen driver's
 * only word that a turn failed (the hooks driver has the CLI's StopFailure hook). A refused key or a usage limit is
 * told otherwise (a `login_required` or `usage_limit` dialog).
 */
export function failedRequestReport(text: string | null): string | null {
  return text?.startsWith(FAILED_REQUEST_REPORT) ? text : null;
}

/** A failed model request in Mission's words: what the CLI said of it (`said`), and its kind of error when it named one. */
export function failedRequestMessage(said: string, kind?: string): string {
  return `Claude Code's request to the model failed${kind ? ` (${kind})` : ''}: ${said}`;
}
