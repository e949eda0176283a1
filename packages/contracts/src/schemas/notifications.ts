import { z } from 'zod';
import { slotIdSchema } from './slots.ts';
import { roleNameSchema } from '../permissions/rules.ts';

/** What a subscription can be told about; each is derived from one kind of event (see docs/notifications.md). */
export const notificationKinds = [
  'approval_requested',
  'blocked',
  'needs_input',
  'task_failed',
  'task_succeeded',
  'session_lost',
  'budget_exhausted',
  'slot_paused',
  'slot_resumed',
] as const;
export const notificationKindSchema = z.enum(notificationKinds);
export type NotificationKind = z.infer<typeof notificationKindSchema>;

/** The body a subscription gets: Mission's own JSON, a Slack incoming webhook's, or an ntfy message. */
export const notificationFormats = ['json', 'slack', 'ntfy'] as const;

export const subscriptionNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-", starting with a letter or digit');

export const subscriptionConfigSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2_000),
  format: z.enum(notificationFormats).default('json'),
  events: z.array(notificationKindSchema).min(1, 'name at least one event kind').max(notificationKinds.length),
  /** Only events of these slots / of slots with these roles; both unset = every slot. */
  slots: z.array(slotIdSchema).max(200).optional(),
  roles: z.array(roleNameSchema).max(200).optional(),
  /** HMAC key of the signature; made up when not given (then it is in the answer of the create only). */
  secret: z.string().min(16, 'at least 16 characters').max(200).optional(),
  enabled: z.boolean().default(true),
});
export type SubscriptionConfig = z.infer<typeof subscriptionConfigSchema>;

export const subscriptionCreateSchema = subscriptionConfigSchema.extend({ name: subscriptionNameSchema });

/** `notifications.yaml`: a map from subscription name to its config. */
export const notificationsFileSchema = z.strictObject({ subscriptions: z.record(subscriptionNameSchema, subscriptionConfigSchema) });

export const subscriptionSchema = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  format: z.enum(notificationFormats),
  events: z.array(notificationKindSchema),
  slots: z.array(z.string()).nullable(),
  roles: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  source: z.enum(['file', 'api']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;

export const deliverySchema = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  kind: notificationKindSchema,
  subject: z.string(),
  seq: z.number().int(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  notification: z.record(z.string(), z.unknown()),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveryListQuerySchema = z.strictObject({
  status: z.enum(deliveryStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
