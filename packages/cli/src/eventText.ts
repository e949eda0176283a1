import type { EventPayload, MissionEvent } from '@mission/contracts';
import { authorOf, type Subagent } from '@mission/contracts/subagent';
import { questionsLine, questionsAsked } from '@mission/contracts/claudeQuestions';
import type { Paint, Style } from './printer.ts';

const MAX_OUTPUT_LINES = 12;

/** One event as a line (or a few) for people: time, seq, type, and what happened. */
export function eventText(event: MissionEvent, paint: Paint): string {
  const time = paint('dim', `${event.at.slice(11, 19)} #${String(event.seq).padEnd(3)}`);
  const [style, body] = describe(event);
  return `${time} ${paint(style, event.type.padEnd(19))} ${indentFollowing(body, 34)}`;
}

/**
 * What an approval holds and how to decide it: Claude's question with its options (answered with `mission approve
 * --answer`), or the tool use and the rule that asked.
 */
export function approvalWaitText(approval: Omit<EventPayload<'approval_requested'>, 'expiresAt'>): string {
  const { approvalId, tool, input, rule, why } = approval;
  const questions = questionsAsked(approval);
  if (questions)
    return `${authorOf(approval)} asks (approval ${approvalId}): ${questionsLine(questions)}; answer with \`mission approve ${approvalId} --answer …\`, one per question (an option's number, or your own words)`;
  return `${approvalId} for ${bySubagent(approval)}${tool} ${compact(input)}${rule ? ` (rule ${rule})` : why ? ` (${why})` : ''}; decide with \`mission approve ${approvalId}\` (--deny to refuse)`;
}

/** `[subagent general-purpose] ` before a subagent's message, tool call or output; nothing before Claude's own. */
const bySubagent = (payload: { subagent?: Subagent }): string => (payload.subagent ? `[${authorOf(payload)}] ` : '');

function describe(event: MissionEvent): [Style, string] {
  switch (event.type) {
    case 'state':
      return [
        'cyan',
        [
          event.payload.state,
          event.payload.reason && `(${event.payload.reason})`,
          event.payload.exitCode != null && `exit code ${event.payload.exitCode}`,
          event.payload.signal && `killed by ${event.payload.signal}`,
        ]
          .filter(Boolean)
          .join(' '),
      ];
    case 'user_message':
      return ['bold', event.payload.text];
    case 'assistant_message':
      return ['green', `${bySubagent(event.payload)}${event.payload.text}`];
    case 'tool_call':
      return ['yellow', `${bySubagent(event.payload)}${event.payload.tool} ${event.payload.summary ?? compact(event.payload.input)}`];
    case 'tool_output':
      return [event.payload.isError ? 'red' : 'dim', `${bySubagent(event.payload)}${clip(event.payload.output)}`];
    case 'permission_request':
      return ['magenta', `${bySubagent(event.payload)}${event.payload.tool} ${event.payload.summary ?? compact(event.payload.input)}`];
    case 'approval_requested':
      return ['magenta', `${approvalWaitText(event.payload)}; expires ${event.payload.expiresAt}`];
    case 'permission_decision': {
      const { decision, tool, by, rule, reason } = event.payload;
      return [
        decision === 'allow' ? 'green' : 'red',
        [decision, tool, `by ${by}`, rule && `(rule ${rule})`, reason && `: ${reason}`].filter(Boolean).join(' '),
      ];
    }
    case 'status':
      return ['dim', event.payload.text];
    case 'title':
      return ['dim', event.payload.title];
    case 'notice':
      return ['cyan', `${event.payload.text} (${event.payload.kind})`];
    case 'result': {
      const { text, isError, costUsd, durationMs } = event.payload;
      const figures = [durationMs != null && `${(durationMs / 1000).toFixed(1)} s`, costUsd != null && `$${costUsd.toFixed(4)}`]
        .filter(Boolean)
        .join(', ');
      return [isError ? 'red' : 'bold', figures ? `${text}\n[${figures}]` : text];
    }
    case 'error':
      return ['red', `${event.payload.code}: ${event.payload.message}`];
    case 'usage':
      return ['dim', `cost so far $${event.payload.costUsd.toFixed(4)}`];
    case 'message_sent':
      return ['blue', `${event.payload.messageId} to ${event.payload.to} (${event.payload.status}): ${event.payload.text}`];
    case 'message_received':
      return [
        'blue',
        `${event.payload.messageId} from ${event.payload.from ?? 'the operator'} (${event.payload.status}): ${event.payload.text}`,
      ];
    case 'message_status': {
      const { messageId, status, reply, error } = event.payload;
      return [
        status === 'failed' ? 'red' : 'blue',
        [messageId, status, reply && `: ${reply}`, error && `: ${error}`].filter(Boolean).join(' '),
      ];
    }
    case 'slot_paused':
      return ['red', `slot ${event.payload.slot} paused until ${event.payload.until}: ${event.payload.reason}`];
    case 'slot_resumed':
      return [
        'cyan',
        `slot ${event.payload.slot} resumed ${event.payload.by === 'reset' ? '(its usage limit reset)' : `by ${event.payload.by}`}`,
      ];
  }
}

/** A value as one line of JSON, cut at 200 characters. */
export function compact(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function clip(output: string): string {
  const lines = output.replace(/\n+$/, '').split('\n');
  return lines.length <= MAX_OUTPUT_LINES
    ? lines.join('\n')
    : [...lines.slice(0, MAX_OUTPUT_LINES), `… ${lines.length - MAX_OUTPUT_LINES} more lines`].join('\n');
}

function indentFollowing(text: string, width: number): string {
  return text.split('\n').join(`\n${' '.repeat(width)}`);
}
