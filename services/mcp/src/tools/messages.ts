import { z } from 'zod';
import { ok, sessionId, tool, type ToolDef, turnTimeout } from './tool.ts';

/** Messages between sessions. */
export const messageTools: ToolDef[] = [
  tool({
    name: 'mission_message',
    scope: 'sessions:write',
    description:
      'Send a message to another session: typed in as a prompt naming the sender ("Message from session ses_… (slot …): …") as soon as it is idle; queued while it works, delivered oldest first. Returns the message (queued or delivered); with wait_for_reply, once the target has answered it (status "answered", the reply in `reply`). An agent sends as its own session, to the sessions it started or to the one that started it.',
    inputSchema: z.strictObject({
      to: sessionId.describe('The target session id (ses_…).'),
      text: z.string().trim().min(1).describe('The message.'),
      from: z.string().min(1).optional().describe('The sending session (default: your own session, or the operator).'),
      wait_for_reply: z.boolean().default(false).describe("Wait for the target's reply."),
      timeoutMs: turnTimeout,
    }),
    run: async ({ to, text, from, wait_for_reply, timeoutMs }, { core, caller }) =>
      ok(await core.messages.send(to, { text, from, waitForReply: wait_for_reply, timeoutMs }, caller)),
  }),
];
