import { HOOK_SECRET_HEADER, type HookRoute } from './hookServer.ts';
import { HOOKED_EVENTS, type HookEventName } from './hookPayloads.ts';

/** The variable a session's CLI reads its hooks' secret from: in its environment, which only its own user can read. */
export const HOOK_SECRET_VARIABLE = 'MISSION_HOOK_SECRET';

/** The environment the CLI of {@link hookSettings} is started with: the route's secret. */
export function hookEnv(route: Pick<HookRoute, 'secret'>): Record<string, string> {
  return { [HOOK_SECRET_VARIABLE]: route.secret };
}

/** Events whose hooks take a tool matcher. */
const TOOL_EVENTS = new Set<HookEventName>(['PreToolUse', 'PermissionRequest', 'PostToolUse']);

/**
 * The hooks a session's CLI is started with (in its `--settings` JSON, beside the role's rules; an argument,
 * not a file, which the CLI would refuse to read as the agent user under a folder it cannot examine): an HTTP
 * hook to the worker for every event Mission follows. Their timeout must outlast the longest approval, since a
 * permission request is answered only once it is decided. Pure.
 */
export function hookSettings(route: Pick<HookRoute, 'url'>, timeoutMs: number): { hooks: Record<string, unknown> } {
  return httpHooks(HOOKED_EVENTS, route.url, { header: HOOK_SECRET_HEADER, variable: HOOK_SECRET_VARIABLE }, timeoutMs);
}

/**
 * Settings with a `type: "http"` hook posting `events` to `url` on the worker (every tool, for the tool events), each
 * call carrying its secret in `secret.header`: the CLI puts it in from `secret.variable` of its environment, since the
 * process table shows every user a process's arguments. Pure.
 */
export function httpHooks(
  events: readonly HookEventName[],
  url: string,
  secret: { header: string; variable: string },
  timeoutMs: number,
): { hooks: Record<string, unknown> } {
  const hook = {
    type: 'http',
    url,
    headers: { [secret.header]: `\${${secret.variable}}` },
    allowedEnvVars: [secret.variable],
    timeout: Math.ceil(timeoutMs / 1000),
  };
  return {
    hooks: Object.fromEntries(events.map((event) => [event, [{ ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}), hooks: [hook] }]])),
  };
}
