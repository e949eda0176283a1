import type { StubReply, StubRequest } from '../support/stubAnthropic.ts';
import type { PromptRun } from './checker.ts';

/**
 * What the stub Messages API answers in a fault run, and how its requests become evidence. Every prompt
 * and message the workload sends carries a marker `[[fx:<id>]]`; a request that starts a conversation
 * turn (one with tools and no tool results) whose last user text holds a marker is one run of it.
 */

export const MARKER = /\[\[fx:([^\]]+)\]\]/;
export const marker = (id: string): string => `[[fx:${id}]]`;

/** A task's reply streams for this long, so faults find tasks running … */
export const TASK_STREAM = { chunks: 8, chunkDelayMs: 400 };
/** … and a `retry: "safe"` task's for longer than the worker timeout, so a cut-off worker is still at it when another takes it over. */
export const SAFE_TASK_STREAM = { chunks: 8, chunkDelayMs: 1_000 };

/** The id of the marked turn a request starts, or undefined for a side request or a tool round trip. */
export function turnOf(request: StubRequest): string | undefined {
  if (request.tools.length === 0 || request.toolResults.length > 0) return undefined;
  return MARKER.exec(request.lastUserText)?.[1];
}

/** The tool use id of a manager's `mission_sessions` call (whose result says whether its agent reached the API). */
export const MISSION_CHECK_ID = 'toolu_mission_check';

/**
 * The stub's answer: tasks stream slowly, approval tasks first ask to run a command, a manager's task
 * (`-mgr-`) calls Mission's `mission_sessions` tool, the rest answer at once.
 */
export function reply(request: StubRequest): StubReply {
  if (request.tools.length === 0) return { text: 'side request' };
  const id = MARKER.exec(request.lastUserText)?.[1];
  if (request.toolResults.length > 0) return { text: 'the command ran' };
  if (id?.includes('-mgr-'))
    return { text: 'Listing.', toolUses: [{ name: 'mcp__mission__mission_sessions', input: {}, id: MISSION_CHECK_ID }] };
  if (id?.includes('-appr-'))
    return {
      text: 'I will run it.',
      toolUses: [{ name: 'Bash', input: { command: `touch ${id}.txt`, description: 'leave a marker file' } }],
    };
  if (id?.includes('-safe-')) return { text: `done ${id} `.repeat(SAFE_TASK_STREAM.chunks), ...SAFE_TASK_STREAM };
  if (id?.includes('-task-') || id?.includes('-coord-') || id?.includes('-probe-'))
    return { text: `done ${id} `.repeat(TASK_STREAM.chunks), ...TASK_STREAM };
  return { text: `ok ${id ?? ''}` };
}

/** How long the stub keeps streaming a reply after the request came. */
export const streamMs = (stubReply: StubReply): number => (stubReply.chunks ?? 1) * (stubReply.chunkDelayMs ?? 0);

/** The runs of each task's prompt, from the requests the stubs saw (`taskByMarker`: marker id → task id). */
export function promptRuns(
  seen: { worker: string; at: number; request: StubRequest; reply: StubReply }[],
  taskByMarker: Map<string, string>,
): PromptRun[] {
  const runs: PromptRun[] = [];
  for (const s of seen) {
    const taskId = taskByMarker.get(turnOf(s.request) ?? '');
    if (taskId) runs.push({ taskId, worker: s.worker, startedAt: s.at, endedAt: s.at + streamMs(s.reply) });
  }
  return runs;
}

/** How many times each marked turn was started (a message typed in twice starts two). */
export function turnCounts(seen: { request: StubRequest }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of seen) {
    const id = turnOf(s.request);
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
