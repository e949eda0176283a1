/**
 * The subagent whose work an event is (Claude Code's `Agent` tool starts one: its id, and its type such as
 * `general-purpose`); events of the conversation's own messages and tool calls have none. Without zod: the command
 * line and the console import it.
 */
export interface Subagent {
  id: string;
  type?: string;
}

/** The subagent the CLI names by its id and type (`agent_id` and `agent_type` or `subagent_type`), if it names one. */
export function subagentNamed(id: string | null | undefined, type: string | null | undefined): Subagent | undefined {
  if (!id) return undefined;
  return type ? { id, type } : { id };
}

/** Whose work an event is, for people: `subagent general-purpose` (the agent's id when it has no type), else Claude. */
export function authorOf(payload: { subagent?: Subagent }): string {
  return payload.subagent ? `subagent ${payload.subagent.type || payload.subagent.id}` : 'Claude';
}
