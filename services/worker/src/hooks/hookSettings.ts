import fs from 'node:fs';
import path from 'node:path';
import { HOOK_SECRET_HEADER, type HookRoute } from './hookServer.ts';
import { HOOKED_EVENTS, type HookEventName } from './hookPayloads.ts';

/** Events whose hooks take a tool matcher. */
const TOOL_EVENTS = new Set<HookEventName>(['PreToolUse', 'PermissionRequest', 'PostToolUse']);

/**
 * The settings a session's CLI is started with (`--settings <file>`): an HTTP hook to the worker for
 * every event Mission follows. Their timeout must outlast the longest approval, since a permission
 * request is answered only once it is decided. Pure.
 */
export function hookSettings(route: Pick<HookRoute, 'url' | 'secret'>, timeoutMs: number): object {
  const hook = { type: 'http', url: route.url, headers: { [HOOK_SECRET_HEADER]: route.secret }, timeout: Math.ceil(timeoutMs / 1000) };
  return {
    hooks: Object.fromEntries(HOOKED_EVENTS.map((event) => [event, [{ ...(TOOL_EVENTS.has(event) ? { matcher: '*' } : {}), hooks: [hook] }]])),
  };
}

/**
 * Writes a session's hook settings under Mission's own folder (`<data dir>/hooks/<session>.json`,
 * readable by the agent's user only), never the user's settings; returns the file and its removal.
 */
export function writeHookSettings(dataDir: string, sessionId: string, settings: object, agent: { uid: number; gid: number } | null): { file: string; remove: () => void } {
  const dir = path.join(dataDir, 'hooks');
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  const file = path.join(dir, `${sessionId}.json`);
  fs.writeFileSync(file, JSON.stringify(settings, null, 2), { mode: 0o600 });
  // Its claude runs as the agent user: the file (with the hook secret) is that user's alone.
  if (agent) fs.chownSync(file, agent.uid, agent.gid);
  return { file, remove: () => fs.rmSync(file, { force: true }) };
}
