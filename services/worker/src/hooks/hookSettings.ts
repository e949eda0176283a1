import { METRICS_PATH } from './cliSpend.ts';
import { HOOK_SECRET_HEADER, type HookRoute } from './hookServer.ts';
import { HOOKED_EVENTS, type HookEventName } from './hookPayloads.ts';

/** The variable a session's CLI reads its hooks' secret from: in its environment, which only its own user can read. */
export const HOOK_SECRET_VARIABLE = 'MISSION_HOOK_SECRET';

/** The environment the CLI of {@link hookSettings} is started with: the route's secret. */
export function hookEnv(route: Pick<HookRoute, 'secret'>): Record<string, string> {
  return { [HOOK_SECRET_VARIABLE]: route.secret };
}

/**
 * The environment that has an agent's CLI report what it has cost while it runs: its own OpenTelemetry metrics,
 * exported every `intervalMs` as OTLP/HTTP JSON to `endpoint` on its worker (with the agent's secret in the header
 * `secret.header`), each export the total since the CLI started (cumulative). Nothing else is exported (no logs, no
 * traces), and nothing leaves the machine. Pure.
 */
export function costReportEnv(endpoint: string, secret: { header: string; value: string }, intervalMs: number): Record<string, string> {
  return {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: `${secret.header}=${secret.value}`,
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative',
    OTEL_METRIC_EXPORT_INTERVAL: String(intervalMs),
  };
}

/** {@link costReportEnv} for a session: its exports go under its route on the hook endpoint, with its secret. Pure. */
export function sessionCostReportEnv(route: Pick<HookRoute, 'url' | 'secret'>, intervalMs: number): Record<string, string> {
  return costReportEnv(`${route.url}${METRICS_PATH}`, { header: HOOK_SECRET_HEADER, value: route.secret }, intervalMs);
}

/**
 * The variable of an agent's environment (the worker's it inherits, its slot's) that sets up the CLI's telemetry of
 * its own, if one does: Mission then leaves it as it is (the operator's collector keeps getting it), and the agent's
 * cost comes as the CLI ends (a session's transcript, a task's result line). Pure.
 */
export function ownTelemetrySetting(env: Record<string, string | undefined>): string | undefined {
  return Object.keys(env).find((name) => name === 'CLAUDE_CODE_ENABLE_TELEMETRY' || name.startsWith('OTEL_'));
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
