import {
  type ClaudeQuestion,
  howToGetPast,
  type MissionEvent,
  type NotificationKind,
  questionsLine,
  questionsAsked,
} from '@mission/contracts';

/** Signed links of an approval: the page (GET) and the one-tap decisions (POST). */
export interface ApprovalLinks {
  approvalId: string;
  page: string;
  approve: string;
  deny: string;
  expiresAt: string;
}

/** What a subscription is told, whatever the format: Mission's JSON body is exactly this. */
export interface Notification {
  id: string;
  kind: NotificationKind;
  title: string;
  text: string;
  subject: { kind: 'task' | 'session'; id: string };
  slot: string;
  role: string;
  seq: number;
  at: string;
  event: { type: string; payload: unknown };
  approval?: ApprovalLinks;
}

/** The questions of an approval Claude's question asks for (its AskUserQuestion call), or null for any other event. */
function approvalQuestions(event: { type: string; payload: unknown }): ClaudeQuestion[] | null {
  const payload = event.payload as { tool?: unknown; input?: unknown };
  return event.type === 'approval_requested' && typeof payload.tool === 'string'
    ? questionsAsked({ tool: payload.tool, input: payload.input })
    : null;
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The notification an event makes for one delivery. */
export function buildNotification(input: {
  id: string;
  kind: NotificationKind;
  event: MissionEvent;
  slot: string;
  role: string;
  approval?: ApprovalLinks;
}): Notification {
  const { event, kind, slot } = input;
  const who = `${event.ownerKind} ${event.ownerId}`;
  const reason = event.type === 'state' && event.payload.reason ? `: ${event.payload.reason}` : '';
  const lines: Record<NotificationKind, () => [string, string]> = {
    approval_requested: () => {
      const payload = event.type === 'approval_requested' ? event.payload : undefined;
      const questions = approvalQuestions(event);
      // Claude's question in a task: answered on the approval's page (or `mission approve … --answer`), not with a yes.
      if (questions)
        return [`Claude asks on ${slot}`, `${who} asks: ${clip(questionsLine(questions), 600)}; answer on the approval's page`];
      return [
        `Approval needed: ${payload?.tool ?? 'a tool'} on ${slot}`,
        `${who} asks to use ${payload?.tool}: ${clip(JSON.stringify(payload?.input ?? {}))}${payload?.why ? `; ${payload.why}` : ''}`,
      ];
    },
    blocked: () => {
      const dialog = event.type === 'state' ? event.payload.blocking : undefined;
      // Claude's own question to the person (its AskUserQuestion tool), which only a person answers.
      if (dialog?.kind === 'question') return [`Claude asks on ${slot}`, `${who} asks: ${clip(dialog.text)}; ${howToGetPast(dialog)}`];
      // An MCP server's request for input, put to the session's person one field at a time.
      if (dialog?.kind === 'mcp_input') return [`Input needed on ${slot}`, `${who}: ${clip(dialog.text)}; ${howToGetPast(dialog)}`];
      return [`Blocked on ${slot}`, `${who} is blocked${reason}${dialog ? `; ${howToGetPast(dialog)}` : ''}`];
    },
    needs_input: () => [`Waiting for input on ${slot}`, `${who} is idle and waits for a prompt`],
    task_failed: () => [`Task failed on ${slot}`, `${who} ended ${event.type === 'state' ? event.payload.state : 'failed'}${reason}`],
    task_succeeded: () => [`Task succeeded on ${slot}`, `${who} succeeded`],
    session_lost: () => [`Session lost on ${slot}`, `${who} was lost${reason}`],
    budget_exhausted: () => [
      `Budget spent on ${slot}`,
      event.type === 'error' ? event.payload.message : `the daily budget of ${slot} is spent`,
    ],
    slot_paused: () => [
      `Usage limit: ${slot} paused`,
      event.type === 'slot_paused'
        ? `${who} hit a usage limit (${event.payload.reason}); ${slot} starts nothing new until ${event.payload.until}`
        : `${slot} is paused`,
    ],
    slot_resumed: () => [
      `${slot} resumed`,
      `${slot} takes work again (${event.type === 'slot_resumed' && event.payload.by !== 'reset' ? `resumed by ${event.payload.by}` : 'its usage limit reset'})`,
    ],
  };
  const [title, text] = lines[kind]();
  return {
    id: input.id,
    kind,
    title,
    text,
    subject: { kind: event.ownerKind, id: event.ownerId },
    slot,
    role: input.role,
    seq: event.seq,
    at: event.at,
    event: { type: event.type, payload: event.payload },
    ...(input.approval ? { approval: input.approval } : {}),
  };
}

export type NotificationFormat = 'json' | 'slack' | 'ntfy';

/** The HTTP request a format makes of a notification: where to POST, the body, its content type. */
export function renderRequest(
  format: NotificationFormat,
  url: string,
  notification: Notification,
): { url: string; body: string; contentType: string } {
  if (format === 'slack') return { url, body: JSON.stringify(slackBody(notification)), contentType: 'application/json' };
  if (format === 'ntfy') return ntfyRequest(url, notification);
  return { url, body: JSON.stringify(notification), contentType: 'application/json' };
}

/** A Slack incoming webhook: the text, and for an approval the buttons (Slack opens links, so both open the signed page, where one tap decides). */
function slackBody(n: Notification) {
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${n.title}*\n${n.text}` } }];
  if (n.approval) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', url: n.approval.page },
        { type: 'button', text: { type: 'plain_text', text: 'Deny' }, style: 'danger', url: n.approval.page },
      ],
    });
  }
  return { text: `${n.title}: ${n.text}`, blocks };
}

/**
 * ntfy's JSON publishing: the subscription URL is the topic's (`https://ntfy.sh/<topic>`); the message
 * goes to the server's root with the topic in the body. An approval gets `http` actions: one tap on the
 * phone POSTs the signed decision link.
 */
function ntfyRequest(url: string, n: Notification) {
  const topicUrl = new URL(url);
  const segments = topicUrl.pathname.split('/').filter(Boolean);
  const topic = segments.pop() ?? '';
  topicUrl.pathname = `/${segments.join('/')}`;
  // A question is answered on its page: a one-tap yes carries no answer.
  const actions = !n.approval
    ? []
    : approvalQuestions(n.event)
      ? [{ action: 'view', label: 'Answer', url: n.approval.page }]
      : [
          { action: 'http', label: 'Approve', url: n.approval.approve, method: 'POST', clear: true },
          { action: 'http', label: 'Deny', url: n.approval.deny, method: 'POST', clear: true },
          { action: 'view', label: 'Open', url: n.approval.page },
        ];
  const body = {
    topic,
    title: n.title,
    message: n.text,
    tags: [n.kind],
    priority: n.kind === 'approval_requested' || n.kind === 'blocked' ? 4 : 3,
    ...(actions.length > 0 ? { actions } : {}),
    ...(n.approval ? { click: n.approval.page } : {}),
  };
  return { url: topicUrl.toString(), body: JSON.stringify(body), contentType: 'application/json' };
}
