import type { MissionEventDraft } from '@mission/contracts';
import { failedRequestMessage, failedRequestReport } from './failedRequest.ts';
import type { PermissionDialog, SessionSnapshot, StatusLine, TranscriptBlock } from './screen.ts';

export const STARTING_SNAPSHOT: SessionSnapshot = {
  state: 'starting',
  dialog: null,
  blocks: [],
  toolCalls: [],
  lastResponse: null,
  status: null,
  title: '',
};

/** A transcript block, and what has been published about it. */
interface Known {
  block: TranscriptBlock;
  /** The id given to a tool call's events. */
  callId?: string;
  /** Output lines of a tool call already published. */
  outputLines: number;
  /** A text block was published as an assistant message, or a prompt as a user message. */
  announced: boolean;
}

/**
 * Turns successive snapshots of one session into events: `state`, `title`, `status`,
 * `permission_request`, `tool_call`, `tool_output`, `user_message` (a prompt, however it was typed),
 * `assistant_message`, and `error` (`turn_failed`: the CLI's report of a failed model request, drawn where Claude's
 * reply goes, is no message of Claude's). Pure logic (no I/O): it
 * remembers what it published so that scrolling, redraws and streaming do not repeat an event.
 *
 * Blocks of the new snapshot are matched to the known ones even after the screen scrolled: the known
 * list is aligned on the new one at the first offset where every overlapping block continues (same
 * tool call, or text that only grew). Blocks that vanish from the end while the CLI redraws are
 * remembered, and recognised when they come back. A prompt or text block is announced, and a tool's
 * output published, once complete: another block follows it, or Claude is idle.
 */
export class SnapshotDiffer {
  private previous: SessionSnapshot = STARTING_SNAPSHOT;
  /** Blocks of the previous snapshot (the first `shown`), then blocks that vanished from its end. */
  private known: Known[] = [];
  private shown = 0;
  private calls = 0;

  next(snapshot: SessionSnapshot): MissionEventDraft[] {
    const before = this.previous;
    // The same snapshot again (a screen that did not change) tells nothing new.
    if (snapshot === before) return [];
    const events: MissionEventDraft[] = [];
    if (snapshot.state !== before.state) events.push({ type: 'state', payload: { state: snapshot.state } });
    events.push(...screenEvents(before, snapshot));
    // The same blocks in the same state (a tick of the spinner) were all published with the previous snapshot.
    if (snapshot.blocks !== before.blocks || snapshot.state !== before.state) events.push(...this.blockEvents(snapshot));
    if (snapshot.dialog && !sameDialog(before.dialog, snapshot.dialog)) events.push(permissionRequest(snapshot.dialog));
    this.previous = snapshot;
    return events;
  }

  private blockEvents(snapshot: SessionSnapshot): MissionEventDraft[] {
    const records = this.match(snapshot.blocks);
    const events: MissionEventDraft[] = [];
    records.forEach((record, i) => {
      const { block } = record;
      const complete = i < records.length - 1 || snapshot.state === 'idle';
      if (block.kind === 'tool') {
        if (!record.callId) {
          record.callId = `call-${++this.calls}`;
          events.push({
            type: 'tool_call',
            payload: { id: record.callId, tool: block.tool, input: { args: block.args }, summary: block.args },
          });
        }
        if (complete && block.output.length > record.outputLines) {
          events.push({
            type: 'tool_output',
            payload: { toolCallId: record.callId, output: block.output.slice(record.outputLines).join('\n'), isError: false },
          });
          record.outputLines = block.output.length;
        }
      } else if (complete && !record.announced) {
        record.announced = true;
        events.push(textEvent(block));
      }
    });
    return events;
  }

  /** The known record of each block (new ones for blocks not seen before); keeps the vanished tail. */
  private match(blocks: TranscriptBlock[]): Known[] {
    const offset = alignment(
      this.known.slice(0, this.shown).map((record) => record.block),
      blocks,
    );
    let recognising = true;
    const records = blocks.map((block, i) => {
      const old = this.known[offset + i];
      if (old && recognising && (offset + i < this.shown || continues(old.block, block))) {
        old.block = block;
        return old;
      }
      recognising = false;
      return { block, outputLines: 0, announced: false };
    });
    this.known = [...records, ...(recognising ? this.known.slice(offset + blocks.length) : [])];
    this.shown = records.length;
    return records;
  }
}

/**
 * What only the screen tells, between two snapshots: the title and the spinner/status line (all a
 * session followed by its hooks reads off the screen as events).
 */
export function screenEvents(before: SessionSnapshot, after: SessionSnapshot): MissionEventDraft[] {
  const events: MissionEventDraft[] = [];
  if (after.title !== before.title && after.title !== '') events.push({ type: 'title', payload: { title: after.title } });
  if (after.status && statusChanged(before.status, after.status)) events.push({ type: 'status', payload: { ...after.status } });
  return events;
}

/** The offset of `after[0]` in `before`: the first at which every overlapping block continues. */
function alignment(before: TranscriptBlock[], after: TranscriptBlock[]): number {
  for (let offset = 0; offset < before.length; offset++) {
    const overlap = Math.min(before.length - offset, after.length);
    let matches = true;
    for (let i = 0; i < overlap && matches; i++) matches = continues(before[offset + i] as TranscriptBlock, after[i] as TranscriptBlock);
    if (matches) return offset;
  }
  return before.length;
}

/** `next` is the same block as `previous`, perhaps with more text or output. */
function continues(previous: TranscriptBlock, next: TranscriptBlock): boolean {
  if (previous.kind === 'tool' || next.kind === 'tool') {
    return previous.kind === 'tool' && next.kind === 'tool' && previous.tool === next.tool && previous.args === next.args;
  }
  // Streamed text grows at its end, and re-wrapping moves words between lines: compare it unwrapped (unless it
  // only grew, which unwrapping cannot undo: the common case, told without making two strings).
  return previous.kind === next.kind && (next.text.startsWith(previous.text) || unwrapped(next.text).startsWith(unwrapped(previous.text)));
}

const unwrapped = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Status changes worth an event: a new activity, tokens, or interruptibility (not every tick of the clock). */
function statusChanged(before: StatusLine | null, after: StatusLine): boolean {
  return !before || before.text !== after.text || before.tokens !== after.tokens || before.interruptible !== after.interruptible;
}

function sameDialog(a: PermissionDialog | null, b: PermissionDialog): boolean {
  return a !== null && a.tool === b.tool && a.target === b.target && a.question === b.question;
}

function permissionRequest(dialog: PermissionDialog): MissionEventDraft {
  return {
    type: 'permission_request',
    payload: {
      tool: dialog.tool,
      input: { target: dialog.target, question: dialog.question },
      summary: dialog.target,
      options: dialog.options.map(({ key, label, meaning }) => ({ key, label, meaning })),
    },
  };
}

/** The event of a complete prompt or text block: the person's message, Claude's, or the CLI's report of a failed request. */
function textEvent(block: Exclude<TranscriptBlock, { kind: 'tool' }>): MissionEventDraft {
  if (block.kind === 'prompt') return { type: 'user_message', payload: { text: block.text } };
  const failed = failedRequestReport(block.text);
  if (failed) return { type: 'error', payload: { code: 'turn_failed', message: failedRequestMessage(failed) } };
  return { type: 'assistant_message', payload: { text: block.text } };
}
