import type { CoreRuntime } from '@mission/core';
import { authorOf, type MissionEvent, questionsAsked, questionsLine, type Subagent } from '@mission/contracts';
import type { Extra } from './tool.ts';

/**
 * While a long call waits, each event of what it waits on becomes a progress notification (when the
 * caller asked for progress with a progressToken). Returns the unsubscribe.
 */
export async function reportProgress(
  core: CoreRuntime,
  extra: Extra,
  owner: { kind: 'task' | 'session'; id: string },
): Promise<() => void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) {
    return () => {
      // the caller asked for no progress: nothing was subscribed
    };
  }
  let progress = 0;
  return core.subscriber.subscribe(core.events.channel(owner), (message) => {
    const event = JSON.parse(message) as MissionEvent;
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: ++progress, message: progressMessage(event) },
      })
      .catch((error) => core.logger.debug({ err: error, owner }, 'progress notification not sent (the client is gone)'));
  });
}

/** An event as the line a progress notification carries. */
export function progressMessage(event: MissionEvent): string {
  switch (event.type) {
    case 'state':
      return `state: ${event.payload.state}`;
    case 'status':
      return `status: ${event.payload.text}`;
    case 'tool_call':
      return `${event.payload.subagent ? `${authorOf(event.payload)} ` : ''}tool: ${event.payload.tool} ${event.payload.summary ?? ''}`.trim();
    case 'user_message':
      return `prompt: ${event.payload.text.slice(0, 200)}`;
    case 'assistant_message':
      return `${event.payload.subagent ? authorOf(event.payload) : 'claude'}: ${event.payload.text.slice(0, 200)}`;
    case 'permission_request':
      return `asks permission: ${event.payload.tool} ${event.payload.summary ?? ''}`.trim();
    case 'approval_requested':
      return approvalLine(event.payload);
    case 'notice':
      return `notice: ${event.payload.text}`;
    default:
      return event.type;
  }
}

/** An approval the work waits for, as a line that says how to decide it (Claude's question: what it asks). */
function approvalLine(approval: { approvalId: string; tool: string; input: unknown; subagent?: Subagent }): string {
  const { approvalId, tool, input } = approval;
  const questions = questionsAsked({ tool, input });
  if (questions) return `${authorOf(approval)} asks: ${questionsLine(questions)} (approval ${approvalId}: mission_approve answers it)`;
  return `waits for approval ${approvalId}: ${approval.subagent ? `${authorOf(approval)}'s ` : ''}${tool} (mission_approve decides it)`;
}
