/** What one transcript record adds to an interactive session's story. */
export type TranscriptUpdate =
  | { kind: 'assistant_text'; text: string }
  | { kind: 'tool_result'; toolUseId: string; output: string; isError: boolean }
  /** The turn of prompt `promptId` was stopped (null if the record does not say which). */
  | { kind: 'interrupted'; promptId: string | null }
  | { kind: 'cost'; costUsd: number; usage: Record<string, unknown> }
  /** Claude's usage or rate limit refused the turn's request: the CLI's words, and the reset it was told (seconds since the epoch). */
  | { kind: 'usage_limit'; text: string; resetsAt: number | null }
  /**
   * What a slash command the CLI ran itself printed (`/compact`'s "Compacted" or "Not enough messages to compact.",
   * `/clear`'s nothing), or its word on one it would not run ("Unknown command: /foo…"), written at `at` (ms since
   * the epoch).
   */
  | { kind: 'command_output'; text: string; at: number };

type Block = { type?: unknown; text?: unknown; tool_use_id?: unknown; content?: unknown; is_error?: unknown };

/**
 * The model the CLI names on an assistant message it made up itself (e.g. "No response requested." when a
 * resumed conversation ends in a prompt whose reply never reached the transcript): not something Claude said.
 */
const SYNTHETIC_MODEL = '<synthetic>';
/** The CLI's record of a turn the user stopped (Esc). */
const INTERRUPTED = /^\[Request interrupted by user/;
/** The records of a slash command the CLI ran itself (`local_command`), or of its notice about one it would not (`informational`). */
const COMMAND_RECORDS = new Set(['local_command', 'informational']);
/** How a `local_command` record wraps what the command printed (so does the `user` record of a compaction's). */
const COMMAND_OUTPUT = /^<local-command-(?:stdout|stderr)>([\s\S]*)<\/local-command-(?:stdout|stderr)>$/;
/** The terminal's colours and styles (SGR sequences) the CLI leaves in what a command printed: "\x1b[2mCompacted \x1b[22m". */
const STYLES = /\x1b\[[0-9;]*m/g;

/**
 * Reads the content of a Claude Code transcript record (CLI 2.1.x): assistant text blocks, tool results
 * (what Claude was told), the mark of an interrupted turn, the output of a slash command the CLI ran itself,
 * and the session's running cost. Subagents'
 * (sidechain) and meta records, and the CLI's synthetic assistant messages, are not the session's conversation. Pure.
 */
export function transcriptUpdates(record: Record<string, unknown>): TranscriptUpdate[] {
  if (record.type === 'cost-state' && typeof record.totalCostUSD === 'number') {
    const usage = record.modelUsage && typeof record.modelUsage === 'object' ? (record.modelUsage as Record<string, unknown>) : {};
    return [{ kind: 'cost', costUsd: record.totalCostUSD, usage }];
  }
  if (record.isSidechain === true || record.isMeta === true) return [];
  if (record.type === 'system') return systemRecord(record);
  const message = record.message as { content?: unknown; model?: unknown } | undefined;
  const blocks: Block[] = Array.isArray(message?.content) ? (message.content as Block[]).filter((b) => b && typeof b === 'object') : [];
  if (record.type === 'assistant') {
    if (message?.model === SYNTHETIC_MODEL) return limitRefusal(record, blocks);
    return blocks
      .filter((b) => b.type === 'text' && typeof b.text === 'string' && b.text.trim() !== '')
      .map((b) => ({ kind: 'assistant_text', text: (b.text as string).trim() }));
  }
  if (record.type !== 'user') return [];
  // A command that compacted the conversation (`/compact`) records what it printed as a user message of its own, after
  // the summary, where other commands write a `local_command` record.
  if (typeof message?.content === 'string' && COMMAND_OUTPUT.test(message.content.trim())) return commandOutput(record, message.content);
  const texts =
    typeof message?.content === 'string' ? [message.content] : blocks.filter((b) => b.type === 'text').map((b) => String(b.text ?? ''));
  if (texts.some((text) => INTERRUPTED.test(text)))
    return [{ kind: 'interrupted', promptId: typeof record.promptId === 'string' ? record.promptId : null }];
  return blocks
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({
      kind: 'tool_result',
      toolUseId: String(b.tool_use_id ?? ''),
      output: resultText(b.content),
      isError: b.is_error === true,
    }));
}

/** What a subagent said, and what its tools gave it. */
export type SubagentUpdate = Extract<TranscriptUpdate, { kind: 'assistant_text' | 'tool_result' }>;

/**
 * What one record of a subagent's own transcript (`subagents/agent-<id>.jsonl`, all of it the sidechain's) adds: its
 * text and its tools' results; not its prompt, nor a mark of an interrupt (the session's turn is the session's). Pure.
 */
export function subagentTranscriptUpdates(record: Record<string, unknown>): SubagentUpdate[] {
  if (record.isSidechain !== true) return [];
  return transcriptUpdates({ ...record, isSidechain: false }).filter(
    (update): update is SubagentUpdate => update.kind === 'assistant_text' || update.kind === 'tool_result',
  );
}

/** A slash command's output (see `command_output`), from a `system` record; nothing from other system records. */
function systemRecord(record: Record<string, unknown>): TranscriptUpdate[] {
  if (!COMMAND_RECORDS.has(String(record.subtype)) || typeof record.content !== 'string') return [];
  return commandOutput(record, record.content);
}

/** A slash command's output, `content` of `record` (in its wrapper, if it has one), without the terminal's styles. */
function commandOutput(record: Record<string, unknown>, content: string): TranscriptUpdate[] {
  const at = Date.parse(String(record.timestamp));
  if (Number.isNaN(at)) return [];
  const trimmed = content.trim();
  return [{ kind: 'command_output', text: (COMMAND_OUTPUT.exec(trimmed)?.[1] ?? trimmed).replace(STYLES, '').trim(), at }];
}

/**
 * The synthetic message the CLI records when the API refused a request for a limit (`error: 'rate_limit'`,
 * `apiErrorStatus: 429`): "You've hit your 5-hour limit · resets …", with the reset the API gave a claude.ai
 * subscriber in `apiErrorParams.rate_limit_info` (and `quotaLimits`); an API key's 429 comes without one.
 */
function limitRefusal(record: Record<string, unknown>, blocks: Block[]): TranscriptUpdate[] {
  if (record.isApiErrorMessage !== true || (record.error !== 'rate_limit' && record.apiErrorStatus !== 429)) return [];
  const text = blocks.find((b) => b.type === 'text' && typeof b.text === 'string')?.text;
  const params = record.apiErrorParams as { rate_limit_info?: { resetsAt?: unknown } } | undefined;
  const quota = record.quotaLimits as { resetsAt?: unknown } | undefined;
  const resetsAt = [params?.rate_limit_info?.resetsAt, quota?.resetsAt].find((value) => typeof value === 'number') as number | undefined;
  return [{ kind: 'usage_limit', text: typeof text === 'string' ? text.trim() : 'usage limit reached', resetsAt: resetsAt ?? null }];
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: Block) => (part?.type === 'text' ? String(part.text ?? '') : ''))
    .filter(Boolean)
    .join('\n');
}
