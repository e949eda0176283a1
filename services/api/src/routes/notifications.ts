import type { CoreRuntime } from '@mission/core';
import {
  deliveryListQuerySchema,
  deliverySchema,
  subscriptionConfigSchema,
  subscriptionCreateSchema,
  subscriptionSchema,
} from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

const tags = ['notifications'];

/** Webhook subscriptions (admin: they hold signing secrets, and approval notifications carry signed links). */
export const notificationRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  const subscriptions = core.notifications.subscriptions;
  app.get(
    '/v1/notifications',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'List notification subscriptions',
        response: { 200: z.object({ subscriptions: z.array(subscriptionSchema) }) },
      },
    },
    async () => ({ subscriptions: await subscriptions.list() }),
  );

  app.post(
    '/v1/notifications',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Subscribe a webhook to event kinds (its signing secret is in this answer only)',
        description:
          'Events: approval_requested, blocked, needs_input, task_failed, task_succeeded, session_lost, budget_exhausted; optionally only of some slots or roles. Formats: json (signed Mission body), slack (incoming webhook), ntfy (topic URL).',
        body: subscriptionCreateSchema,
        response: { 201: subscriptionSchema.extend({ secret: z.string() }), 400: errorResponseSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await subscriptions.create(request.body, request.caller.label)),
  );

  app.get(
    '/v1/notifications/:id',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'A notification subscription', params: idParams, response: { 200: subscriptionSchema, ...errors } },
    },
    async (request) => subscriptions.get(request.params.id),
  );

  app.put(
    '/v1/notifications/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Replace a subscription's config (its secret stays unless one is given)",
        params: idParams,
        body: subscriptionConfigSchema,
        response: { 200: subscriptionSchema, ...errors },
      },
    },
    async (request) => subscriptions.update(request.params.id, request.body, request.caller.label),
  );

  app.delete(
    '/v1/notifications/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Delete a subscription (its pending deliveries fail)',
        params: idParams,
        response: { 200: subscriptionSchema, ...errors },
      },
    },
    async (request) => subscriptions.delete(request.params.id, request.caller.label),
  );

  app.get(
    '/v1/notifications/:id/deliveries',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary:
          "A subscription's delivery log, newest first: each notification, its status (pending, delivered, failed), attempts and the last answer",
        params: idParams,
        querystring: deliveryListQuerySchema,
        response: { 200: z.object({ deliveries: z.array(deliverySchema) }), ...errors },
      },
    },
    async (request) => ({ deliveries: await subscriptions.deliveries(request.params.id, request.query) }),
  );
};
