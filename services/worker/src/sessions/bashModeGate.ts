import {
  allowsAnyCommand,
  bashModeCommand,
  type EventOwner,
  followKeystrokes,
  mayStartBashMode,
  MissionError,
  type ToolUse,
} from '@mission/contracts';
import type { AgentPlaces } from '../agentProcess.ts';
import { decideOnDisk } from '../permissions/realPathOnDisk.ts';
import { type Database, type EventLog, type Logger, type RoleInForce, recordDecision, roleInForce } from '@mission/store';

export interface BashModeGateOptions {
  db: Database;
  events: EventLog;
  owner: EventOwner;
  slot: { role: string; cwd: string };
  /** The agent's HOME, for `~` in rules, and its CLI's folder. */
  places: AgentPlaces;
  /** Whether Claude's prompt takes typed input now (no dialog is open). */
  promptTakesInput(): boolean;
  logger: Logger;
  /** Tells the attached terminal that typed a refused frame why (its socket is closed with a 4403). */
  refuseAttach(client: string | undefined, message: string): void;
}

/**
 * Claude Code runs text typed after a `!` at the start of its prompt as a shell command, with no
 * permission check of its own (bash mode). Everything typed into a session passes here first:
 *
 * - text Mission types (send, mission_pty_send, delivered messages) that may start bash mode is decided
 *   as a Bash use of the command it would run, by the slot's role: allowed, it is typed (and the
 *   decision recorded); otherwise it is refused with a 403 naming the rule;
 * - keystrokes of attached terminals are followed one by one: a `!` that may land at the start of an
 *   empty input is dropped, with its frame, unless the role allows any command at all.
 */
export class BashModeGate {
  private lineHasText = false;
  private attachQueue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BashModeGateOptions) {}

  /** Resolves when the text may be typed; rejects with a `forbidden` MissionError when it may not. */
  async checkText(text: string): Promise<void> {
    if (!mayStartBashMode(text)) return;
    const command = bashModeCommand(text) ?? '';
    const role = await roleInForce(this.deps.db, this.deps.slot.role);
    const policy = decideOnDisk(role.rules, { tool: 'Bash', input: { command } }, { cwd: this.deps.slot.cwd, ...this.deps.places });
    const use = { tool: 'Bash', input: { command, via: 'bash_mode' } };
    if (policy.verdict === 'allow') {
      await this.record(use, 'allow', role, policy.rule);
      return;
    }
    const runs = `text starting with '!' runs \`${command.length > 200 ? `${command.slice(0, 200)}…` : command}\` in Claude Code's bash mode`;
    const why =
      policy.verdict === 'deny'
        ? `role '${role.name}' forbids it (rule ${policy.rule})`
        : `role '${role.name}' does not allow it unasked (${policy.rule ? `rule ${policy.rule} asks a person first` : (policy.reason ?? 'no allow rule covers it')}), and bash mode cannot wait for an approval: ask Claude without the '!'`;
    const reason = `Mission refused this: ${runs}, and ${why}.`;
    await this.record(use, 'deny', role, policy.rule, reason);
    throw new MissionError('forbidden', reason, { role: role.name, rule: policy.rule, command });
  }

  /** Records the role's decision on a bash-mode use as the policy's (a `permission_decision` event and its row). */
  private record(use: ToolUse, decision: 'allow' | 'deny', role: RoleInForce, rule: string | null, reason?: string): Promise<void> {
    return recordDecision(this.deps.db, this.deps.events, { owner: this.deps.owner, use, decision, by: 'policy', role, rule, reason });
  }

  /** Mission typed something itself (text, Enter, a dialog's key, Esc): the input line may be empty now. */
  missionTyped(): void {
    this.lineHasText = false;
  }

  /** A frame of an attached terminal: written in order by `write`, unless it may open bash mode for a guarded role. */
  attach(data: string, client: string | undefined, write: (data: string) => void): void {
    // A frame that cannot be checked (the database is away) is dropped, and its terminal told.
    this.attachQueue = this.attachQueue
      .then(() => this.admit(data, client, write))
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error, owner: this.deps.owner }, 'attach input could not be checked for bash mode; dropped');
        this.deps.refuseAttach(client, 'Mission could not check this input for bash mode; it was dropped');
      });
  }

  private async admit(data: string, client: string | undefined, write: (data: string) => void): Promise<void> {
    const next = followKeystrokes(this.lineHasText, data, this.deps.promptTakesInput());
    if (next.bang) {
      const role = await roleInForce(this.deps.db, this.deps.slot.role);
      if (!allowsAnyCommand(role.rules)) {
        const reason = `Mission refused '!' at the start of the prompt: it opens bash mode, which role '${role.name}' does not allow`;
        await this.record({ tool: 'Bash', input: { command: data, via: 'attach' } }, 'deny', role, null, reason);
        this.lineHasText = false;
        this.deps.refuseAttach(client, reason);
        return;
      }
    }
    this.lineHasText = next.lineHasText;
    write(data);
  }
}
