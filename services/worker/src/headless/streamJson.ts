import { type MissionEventDraft, subagentNamed } from '@mission/contracts';
import { countersByModel, type ModelCounters } from '../hooks/cliSpend.ts';
import { addUsage, modelTokens } from '../modelTokens.ts';

/** The final `result` line of a headless run. */
export interface HeadlessResult {
  text: string;
  isError: boolean;
  subtype: string;
  costUsd: number | null;
  /** This result's turns' tokens (`usage`): the conversation's alone. */
  usage: Record<string, unknown> | null;
  /**
   * The Claude session's counters so far by model (`modelUsage`: tokens and cost), every request's: the conversation's,
   * its subagents' and the CLI's own. Null from a CLI that gives none.
   */
  modelUsage: Record<string, ModelCounters> | null;
  durationMs: number | null;
  numTurns: number | null;
  claudeSessionId: string | null;
  /** The API refused the run for a usage or rate limit (`api_error_status` 429): a reason to wait, not a failure. */
  limited: boolean;
}

export interface MappedMessage {
  events: MissionEventDraft[];
  /** Claude Code's own session id, from the `system/init` line. */
  claudeSessionId?: string;
  result?: HeadlessResult;
  /** A `rate_limit_event` whose limit refused the request: when it resets (seconds since the epoch), if the CLI knows. */
  limitRejected?: { resetsAt: number | null };
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** A line the CLI prints of itself (`{"type":"system",…}`: its start, an API retry), not of the model's answer. */
export function isCliSystemMessage(message: unknown): boolean {
  return isObject(message) && message.type === 'system';
}

/**
 * Maps one line of `claude -p --output-format stream-json --verbose` to Mission events.
 * Unknown line and content types map to nothing: newer CLIs add types, and that must not break a run.
 */
export function mapStreamJsonMessage(message: unknown): MappedMessage {
  if (!isObject(message)) return { events: [] };
  switch (message.type) {
    case 'system':
      return systemToMapped(message);
    case 'assistant':
      return { events: bySubagent(message, contentOf(message).flatMap(assistantBlockToEvents)) };
    case 'user':
      return { events: bySubagent(message, contentOf(message).flatMap(toolResultToEvents)) };
    case 'result':
      return resultToMapped(message);
    case 'rate_limit_event':
      return rateLimitToMapped(message);
    default:
      return { events: [] };
  }
}

function systemToMapped(message: Json): MappedMessage {
  if (message.subtype === 'init' && str(message.session_id)) return { events: [], claudeSessionId: str(message.session_id)! };
  // A command Claude ran in the background has ended (2.1.332): the CLI's summary, the words a session's notice has;
  // the CLI then starts a turn of its own to tell Claude. An agent's summary is its report, its own marked message.
  const summary = str(message.summary);
  if (message.subtype === 'task_notification' && summary && message.summary_is_report !== true)
    return { events: [{ type: 'notice', payload: { kind: 'task_notification', text: summary } }] };
  return { events: [] };
}

function contentOf(message: Json): unknown[] {
  const inner = message.message;
  if (!isObject(inner)) return [];
  return Array.isArray(inner.content) ? inner.content : [];
}

/**
 * A subagent's messages and tool calls come on the same output as the conversation's, marked with the agent's id and
 * type (`agent_id`, `subagent_type`; 2.1.332): their events say whose they are.
 */
function bySubagent(message: Json, events: MissionEventDraft[]): MissionEventDraft[] {
  const subagent = subagentNamed(str(message.agent_id), str(message.subagent_type));
  if (!subagent) return events;
  return events.map((event) => ({ ...event, payload: { ...event.payload, subagent } }) as MissionEventDraft);
}

function assistantBlockToEvents(block: unknown): MissionEventDraft[] {
  if (!isObject(block)) return [];
  if (block.type === 'text' && str(block.text)?.trim()) return [{ type: 'assistant_message', payload: { text: block.text as string } }];
  if (block.type === 'tool_use' && str(block.name)) {
    return [
      {
        type: 'tool_call',
        payload: { ...(str(block.id) ? { id: block.id as string } : {}), tool: block.name as string, input: block.input ?? {} },
      },
    ];
  }
  return [];
}

function toolResultToEvents(block: unknown): MissionEventDraft[] {
  if (!isObject(block) || block.type !== 'tool_result') return [];
  return [
    {
      type: 'tool_output',
      payload: {
        ...(str(block.tool_use_id) ? { toolCallId: block.tool_use_id as string } : {}),
        output: toolResultText(block.content),
        isError: block.is_error === true,
      },
    },
  ];
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isObject(part) && part.type === 'text' ? (str(part.text) ?? '') : ''))
    .filter(Boolean)
    .join('\n');
}

function resultToMapped(message: Json): MappedMessage {
  const result: HeadlessResult = {
    text: str(message.result) ?? (Array.isArray(message.errors) ? message.errors.map(String).join('; ') : ''),
    isError: message.is_error === true || (str(message.subtype) ?? 'success') !== 'success',
    subtype: str(message.subtype) ?? 'success',
    costUsd: num(message.total_cost_usd),
    usage: isObject(message.usage) ? message.usage : null,
    modelUsage: isObject(message.modelUsage) ? countersByModel(message.modelUsage) : null,
    durationMs: num(message.duration_ms),
    numTurns: num(message.num_turns),
    claudeSessionId: str(message.session_id),
    limited: message.is_error === true && num(message.api_error_status) === 429,
  };
  const { subtype: _subtype, limited: _limited, modelUsage: _modelUsage, ...payload } = result;
  return { events: [{ type: 'result', payload }], result, ...(result.claudeSessionId ? { claudeSessionId: result.claudeSessionId } : {}) };
}

/**
 * The run's result once its next `result` line, `later`, has come. A run goes on after a result when a command Claude
 * ran in the background ends after the turn: the CLI tells Claude in a turn of its own, which ends in another result.
 * The run ends with the last one's text and error, and its cost (`total_cost_usd` counts the whole run); the tokens
 * (`usage`), turns and time of each result are its own turn's, so they add up. Pure.
 */
export function withNextResult(earlier: HeadlessResult | undefined, later: HeadlessResult): HeadlessResult {
  if (!earlier) return later;
  return {
    ...later,
    usage: earlier.usage && later.usage ? addUsage(earlier.usage, later.usage) : (later.usage ?? earlier.usage),
    modelUsage: later.modelUsage ?? earlier.modelUsage,
    durationMs: addCounts(earlier.durationMs, later.durationMs),
    numTurns: addCounts(earlier.numTurns, later.numTurns),
  };
}

/**
 * What a task's row keeps of its run's tokens: its results' `usage` (the CLI's fields as it gives them), with the four
 * counts usage reports add up (`input_tokens`, `output_tokens`, `cache_read_input_tokens`,
 * `cache_creation_input_tokens`) the whole run's where the CLI tells them — a subagent's requests are in no
 * result's `usage`. Pure.
 */
export function taskUsage(result: Pick<HeadlessResult, 'usage' | 'modelUsage'>): Record<string, unknown> | null {
  return result.modelUsage ? { ...result.usage, ...modelTokens(result.modelUsage) } : result.usage;
}

const addCounts = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : a + b);

/** `{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":…}}`: a subscriber's limit refused the request. */
function rateLimitToMapped(message: Json): MappedMessage {
  const info = isObject(message.rate_limit_info) ? message.rate_limit_info : {};
  return info.status === 'rejected' ? { events: [], limitRejected: { resetsAt: num(info.resetsAt) } } : { events: [] };
}
