import { z } from 'zod';

export const messageStatuses = ['queued', 'delivered', 'answered', 'failed'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

const waitTimeout = z.number().int().min(1_000).max(3_600_000);

export const messageInputSchema = z.strictObject({
  text: z.string().trim().min(1, 'text must not be empty').max(100_000),
  /** The sending session; none means the operator (a child-token agent sends as its own session). */
  from: z.string().min(1).optional(),
  /** Wait for the target's reply to the message (up to timeoutMs). */
  waitForReply: z.boolean().default(false),
  timeoutMs: waitTimeout.optional(),
});
export type MessageInput = z.infer<typeof messageInputSchema>;

export const sessionMessageSchema = z.object({
  id: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  text: z.string(),
  status: z.enum(messageStatuses),
  reply: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  answeredAt: z.string().nullable(),
});
export type SessionMessage = z.infer<typeof sessionMessageSchema>;

/** The prompt typed into the target: it names the sender, so Claude knows who is asking. */
export function messagePrompt(from: string | null, text: string, fromSlot?: string): string {
  const sender = from ? `session ${from}${fromSlot ? ` (slot ${fromSlot})` : ''}` : 'the operator';
  return `Message from ${sender}: ${text}`;
}
