/**
 * Resolves once `condition` holds, asking every `everyMs` (the API's rate limit allows 600 calls a minute
 * per token: tests/support/processes.ts's waitUntil asks every 25 ms); throws after `timeoutMs`.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
