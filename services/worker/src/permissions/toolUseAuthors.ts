import type { Subagent } from '@mission/contracts';
import { type HookInput, subagentOf } from '../hooks/hookPayloads.ts';

/**
 * How many subagents' tool uses are kept unasked: a permission prompt follows its tool use's PreToolUse call at once
 * (the CLI waits for that call's answer, then asks), so only the tool uses of agents running side by side can be
 * between the two; the others (tool uses allowed without a prompt) are the oldest, and let go first.
 */
const KEPT = 256;

/**
 * The subagents whose tool uses a task's CLI told before asking about them (its PreToolUse hook names the agent; its
 * permission prompt names only the tool use): a prompt's approval says whose tool use waits. In memory, no I/O.
 */
export class ToolUseAuthors {
  private readonly byToolUse = new Map<string, Subagent>();

  /** A hook call of the CLI's: a subagent's PreToolUse is noted (Claude's own, and other events, tell nothing here). */
  heard(input: HookInput): void {
    const subagent = subagentOf(input);
    if (subagent && input.hook_event_name === 'PreToolUse') this.note(input.tool_use_id, subagent);
  }

  /** `toolUseId` is the work of `subagent`. */
  note(toolUseId: string, subagent: Subagent): void {
    this.byToolUse.delete(toolUseId);
    this.byToolUse.set(toolUseId, subagent);
    if (this.byToolUse.size <= KEPT) return;
    const oldest = this.byToolUse.keys().next().value as string;
    this.byToolUse.delete(oldest);
  }

  /** The subagent whose tool use `toolUseId` is, forgotten once asked (undefined for Claude's own, or one never told). */
  take(toolUseId: string | undefined): Subagent | undefined {
    if (toolUseId === undefined) return undefined;
    const subagent = this.byToolUse.get(toolUseId);
    this.byToolUse.delete(toolUseId);
    return subagent;
  }
}
