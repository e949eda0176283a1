import path from 'node:path';
import type { MissionEventDraft, Subagent } from '@mission/contracts';
import type { Logger } from '@mission/store';
import { isBelow, NotOwnedError } from '../ownedFiles.ts';
import { subagentTranscriptUpdates } from './transcriptContent.ts';
import { JsonlTail } from './transcriptTail.ts';

/** An agent id as Claude Code makes them (`a532148bfa714ffb3`): the one part of a file name taken from a hook call. */
const AGENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

interface AgentTranscript {
  subagent: Subagent;
  tail: JsonlTail;
  /** The last message its transcript gave. */
  said: string | null;
  /** The agent's last message as its end told it, emitted from there before its transcript held it: skipped there. */
  ahead: string | null;
}

/**
 * The transcripts of a session's subagents. Claude Code keeps what an agent (the `Agent` tool's) says and what its
 * tools give it in a file of its own beside the session's (`<session>/subagents/agent-<id>.jsonl`), not in the
 * session's transcript: read from the first hook call of the agent's work (its tool use, its end), each text and tool
 * result becomes an event marked as the agent's. Its last message is also told by its end (`SubagentStop`), often
 * before the CLI has written it: it is emitted once, from whichever comes first. An agent's file is no longer read once
 * that message has been.
 */
export class SubagentTranscripts {
  private readonly agents = new Map<string, AgentTranscript>();

  constructor(
    private readonly deps: {
      /** Where the CLI writes its transcripts (its home's `projects`): a file elsewhere is not read. */
      folder: string;
      /** The user the files must belong to (the agent's), or null. */
      owner: number | null;
      emit: (event: MissionEventDraft) => void;
      log: Logger;
    },
  ) {}

  /**
   * A hook call of `subagent`'s work, in the session whose transcript is `sessionTranscript`: its transcript is read
   * from now on. `file`: where the call says it is (an agent's end says so); else beside the session's.
   */
  heard(subagent: Subagent, sessionTranscript: string | undefined, file?: string): void {
    if (this.agents.has(subagent.id)) return;
    const where = file ?? (sessionTranscript && AGENT_ID.test(subagent.id) ? besideSession(sessionTranscript, subagent.id) : undefined);
    if (!where) return;
    if (!isBelow(this.deps.folder, where)) {
      this.deps.log.warn(
        { transcriptPath: where, transcripts: this.deps.folder },
        "a subagent's transcript outside the CLI's home: not read",
      );
      return;
    }
    this.agents.set(subagent.id, { subagent, tail: new JsonlTail(where, 0, this.deps.owner), said: null, ahead: null });
  }

  /** Emits what every agent's transcript gained. */
  read(): void {
    for (const [id, agent] of this.agents) this.readAgent(id, agent);
  }

  /**
   * The agent ended, saying `lastMessage`: read to its end, its last message is emitted if its transcript has not
   * given it yet (then skipped when it does).
   */
  ended(subagent: Subagent, lastMessage: string | null): void {
    const agent = this.agents.get(subagent.id);
    const text = lastMessage?.trim();
    if (agent) {
      this.readAgent(subagent.id, agent);
      if (agent.said === text) {
        // Its transcript told it: the agent has nothing more to say.
        this.agents.delete(subagent.id);
        return;
      }
    }
    if (!text) return;
    this.deps.emit({ type: 'assistant_message', payload: { text, subagent } });
    if (agent && this.agents.has(subagent.id)) agent.ahead = text;
  }

  /** Emits what an agent's transcript gained. */
  private readAgent(id: string, agent: AgentTranscript): void {
    let records: Record<string, unknown>[];
    try {
      records = agent.tail.read();
    } catch (error) {
      if (!(error instanceof NotOwnedError)) throw error;
      this.deps.log.error(
        { err: error, subagent: agent.subagent },
        "a subagent's transcript is not the agent CLI's own file: no longer read",
      );
      this.agents.delete(id);
      return;
    }
    for (const record of records) {
      for (const update of subagentTranscriptUpdates(record)) {
        if (update.kind === 'tool_result') {
          const { toolUseId: toolCallId, output, isError } = update;
          this.deps.emit({ type: 'tool_output', payload: { toolCallId, output, isError, subagent: agent.subagent } });
        } else if (update.text === agent.ahead) {
          // Its last message, emitted from its end already: the agent has nothing more to say.
          this.agents.delete(id);
        } else {
          agent.said = update.text;
          this.deps.emit({ type: 'assistant_message', payload: { text: update.text, subagent: agent.subagent } });
        }
      }
    }
  }
}

/** Where Claude Code keeps an agent's transcript: `<session id>/subagents/agent-<id>.jsonl` beside the session's. */
function besideSession(sessionTranscript: string, agentId: string): string {
  const session = sessionTranscript.replace(/\.jsonl$/, '');
  return path.join(session, 'subagents', `agent-${agentId}.jsonl`);
}
