/** The whole prompt is one `<task-notification>` block (CLI 2.1.x): what the CLI submits by itself, not a person. */
const TASK_NOTIFICATION = /^<task-notification>\n([\s\S]*)\n<\/task-notification>$/;
const SUMMARY = /^<summary>(.*)<\/summary>$/m;

/**
 * What the CLI tells Claude when a command Claude ran in the background (Bash `run_in_background`) has ended, as the
 * prompt of a turn it starts by itself (UserPromptSubmit; the transcript's record says `origin: task-notification`):
 * its summary as the CLI shows it on the screen ("Background command "Run the check" completed (exit code 0)"), or
 * null for a prompt of any other shape. Pure.
 */
export function taskNotificationSummary(prompt: string): string | null {
  const body = TASK_NOTIFICATION.exec(prompt)?.[1];
  if (body === undefined) return null;
  return SUMMARY.exec(body)?.[1]?.trim() || 'A command run in the background has ended.';
}
