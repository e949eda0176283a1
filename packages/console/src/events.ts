import type { EventType } from '@mission/contracts/events';
import { authorOf, type Subagent } from '@mission/contracts/subagent';
import type { MissionEvent } from './api/types.ts';
import { formatUsd } from './format.ts';

/** Every event type the API streams (packages/shared/src/events.ts); EventSource needs each by name. */
export const EVENT_TYPES = [
  'state',
  'permission_request',
  'permission_decision',
  'approval_requested',
  'tool_call',
  'tool_output',
  'user_message',
  'assistant_message',
  'status',
  'title',
  'notice',
  'result',
  'error',
  'usage',
  'message_sent',
  'message_received',
  'message_status',
  'slot_paused',
  'slot_resumed',
] as const satisfies readonly EventType[];

/** How one event reads in a conversation or a timeline. */
export interface EventLine {
  kind: 'user' | 'assistant' | 'message' | 'tool' | 'output' | 'permission' | 'decision' | 'state' | 'result' | 'error';
  title: string;
  body?: string;
}

/** `subagent general-purpose: ` before a subagent's tool call or output; nothing before the conversation's own. */
const bySubagent = (payload: { subagent?: Subagent }): string => (payload.subagent ? `${authorOf(payload)}: ` : '');
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/**
 * What to show for an event, or null for the ones that only matter while they last (spinner status,
 * terminal title): the console shows those in the page's header rather than the log.
 */
export function describeEvent(event: MissionEvent): EventLine | null {
  const { type, payload: p } = event;
  switch (type) {
    case 'user_message':
      return { kind: 'user', title: 'Prompt', body: text(p.text) };
    case 'assistant_message':
      return { kind: 'assistant', title: authorOf(p), body: text(p.text) };
    case 'message_sent':
      return { kind: 'message', title: `message to ${text(p.to)} (${text(p.status)})`, body: text(p.text) };
    case 'message_received':
      return { kind: 'message', title: `message from ${p.from ? text(p.from) : 'the operator'} (${text(p.status)})`, body: text(p.text) };
    case 'message_status':
      return {
        kind: p.status === 'failed' ? 'error' : 'message',
        title: `message ${text(p.messageId)} ${text(p.status)}`,
        ...(p.reply || p.error ? { body: text(p.reply ?? p.error) } : {}),
      };
    case 'tool_call':
      return { kind: 'tool', title: `${bySubagent(p)}${text(p.tool)}(${text(p.summary ?? p.input)})` };
    case 'tool_output':
      return { kind: 'output', title: `${bySubagent(p)}${p.isError ? 'tool error' : 'tool output'}`, body: text(p.output) };
    case 'permission_request':
      return { kind: 'permission', title: `${bySubagent(p)}${text(p.tool)} asks permission`, body: text(p.summary ?? p.input) };
    case 'approval_requested':
      return {
        kind: 'permission',
        title: `${bySubagent(p)}${text(p.tool)} waits for an approval (${p.rule ? `rule ${text(p.rule)}` : p.why ? text(p.why) : 'no rule matched'})`,
        body: text(p.input),
      };
    case 'permission_decision': {
      const verdict = p.decision === 'allow' ? 'allowed' : 'denied';
      return {
        kind: 'decision',
        title: `${text(p.tool)} ${verdict} by ${text(p.by)}${p.rule ? ` (rule ${text(p.rule)})` : ''}`,
        ...(p.reason ? { body: text(p.reason) } : {}),
      };
    }
    case 'state':
      return { kind: 'state', title: `→ ${text(p.state)}${p.reason ? `: ${text(p.reason)}` : ''}` };
    case 'result':
      return { kind: p.isError ? 'error' : 'result', title: resultTitle(p), body: text(p.text) };
    case 'error':
      return { kind: 'error', title: `error ${text(p.code)}`, body: text(p.message) };
    case 'slot_paused':
      return { kind: 'error', title: `usage limit: slot ${text(p.slot)} paused until ${text(p.until)}`, body: text(p.reason) };
    case 'slot_resumed':
      return { kind: 'state', title: `slot ${text(p.slot)} resumed (${p.by === 'reset' ? 'its usage limit reset' : `by ${text(p.by)}`})` };
    case 'notice':
      return { kind: 'state', title: `Claude Code: ${text(p.text)}` };
    case 'usage':
      return typeof p.costUsd === 'number' ? { kind: 'result', title: `cost so far ${formatUsd(p.costUsd)}` } : null;
    default:
      return null;
  }
}

function resultTitle(p: Record<string, unknown>): string {
  const parts = [p.isError ? 'failed' : 'result'];
  if (typeof p.costUsd === 'number') parts.push(formatUsd(p.costUsd));
  if (typeof p.durationMs === 'number') parts.push(`${(p.durationMs / 1000).toFixed(1)} s`);
  if (typeof p.numTurns === 'number') parts.push(`${p.numTurns} turn${p.numTurns === 1 ? '' : 's'}`);
  return parts.join(' · ');
}
