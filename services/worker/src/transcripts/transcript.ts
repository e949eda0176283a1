/** What one Claude Code transcript (`<session>.jsonl`) says about its session. */
export interface TranscriptFacts {
  sessionId: string | null;
  cwd: string | null;
  gitBranch: string | null;
  firstPrompt: string | null;
  /** The CLI's summary, or the title it or the user gave the session (the last one written wins). */
  summary: string | null;
  model: string | null;
  /** Prompts typed or sent (tool results and meta records are not counted). */
  userMessages: number;
  /** Assistant messages (the CLI writes one record per content block; a message counts once). */
  assistantMessages: number;
  toolUses: number;
  /** The newest record's timestamp (ISO), if any record had one. */
  lastActivity: string | null;
  /** The last turn waits for the model: its last record is a prompt, a tool result or a tool call. */
  awaitingAnswer: boolean;
}

type Block = { type?: unknown; text?: unknown };
type TranscriptRecord = Record<string, unknown> & { type?: unknown; message?: { id?: unknown; model?: unknown; content?: unknown } };

const titleFields: Record<string, string> = { summary: 'summary', 'custom-title': 'customTitle', 'ai-title': 'aiTitle' };

/**
 * Reads a transcript defensively: a line that is not a JSON object (a torn last line while the CLI
 * writes) is skipped, record types it does not know are skipped, missing fields stay null.
 */
export function parseTranscript(text: string): TranscriptFacts {
  const facts: TranscriptFacts = {
    sessionId: null,
    cwd: null,
    gitBranch: null,
    firstPrompt: null,
    summary: null,
    model: null,
    userMessages: 0,
    assistantMessages: 0,
    toolUses: 0,
    lastActivity: null,
    awaitingAnswer: false,
  };
  const assistantIds = new Set<unknown>();
  for (const record of records(text)) {
    facts.sessionId ??= stringField(record, 'sessionId');
    facts.cwd ??= stringField(record, 'cwd');
    facts.gitBranch = stringField(record, 'gitBranch') ?? facts.gitBranch;
    const timestamp = stringField(record, 'timestamp');
    if (timestamp && (!facts.lastActivity || timestamp > facts.lastActivity)) facts.lastActivity = timestamp;
    const type = typeof record.type === 'string' ? record.type : '';
    if (type in titleFields) facts.summary = stringField(record, titleFields[type]!) ?? facts.summary;
    if (record.isMeta === true || record.isSidechain === true) continue;
    if (type === 'user') {
      const blocks = contentBlocks(record);
      const prompt = typeof record.message?.content === 'string' ? record.message.content : textOf(blocks);
      if (prompt) {
        facts.userMessages += 1;
        facts.firstPrompt ??= prompt;
      }
      if (prompt || blocks.some((block) => block.type === 'tool_result')) facts.awaitingAnswer = true;
    } else if (type === 'assistant') {
      const blocks = contentBlocks(record);
      assistantIds.add(record.message?.id ?? record.uuid);
      facts.toolUses += blocks.filter((block) => block.type === 'tool_use').length;
      const model = record.message?.model;
      if (typeof model === 'string' && !model.startsWith('<')) facts.model = model;
      facts.awaitingAnswer = blocks.at(-1)?.type === 'tool_use';
    }
  }
  facts.assistantMessages = assistantIds.size;
  return facts;
}

function* records(text: string): Generator<TranscriptRecord> {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) yield value as TranscriptRecord;
  }
}

function stringField(record: Record<string, unknown>, field: string): string | null {
  const value = record[field];
  return typeof value === 'string' && value ? value : null;
}

function contentBlocks(record: TranscriptRecord): Block[] {
  const content = record.message?.content;
  return Array.isArray(content) ? content.filter((block): block is Block => Boolean(block) && typeof block === 'object') : [];
}

function textOf(blocks: Block[]): string | null {
  const text = blocks
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');
  return text || null;
}
