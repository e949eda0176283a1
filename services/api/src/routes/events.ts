import type { CoreRuntime } from '@mission/core';
import type { EventOwner, MissionEvent, Scope } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventFanOut } from '../eventFanOut.ts';
import { startSeq, streamEvents } from '../sse.ts';
import { eventStreamQuery, idParams } from './schemas.ts';

type App = Parameters<FastifyPluginAsyncZod>[0];

/** What differs between the events routes of tasks and of sessions; the stream itself is the same. */
export interface EventsRoute {
  kind: EventOwner['kind'];
  access: Scope;
  tags: string[];
  summary: string;
  description: string;
  /** Whether this event ends the stream. */
  isLast(ownerId: string, event: MissionEvent): boolean | Promise<boolean>;
}

/**
 * `GET /v1/<kind>s/:id/events`: the owner's stored events (from its last `?last=` ones, if asked), then (unless
 * `?follow=false`) live ones, as Server-Sent Events resumable with Last-Event-ID or `?after=`.
 */
export function eventsRoute(app: App, core: CoreRuntime, route: EventsRoute): void {
  const fanOut = new EventFanOut({ log: core.events, subscriber: core.subscriber, isLast: route.isLast, logger: app.log });
  app.get(
    `/v1/${route.kind}s/:id/events`,
    {
      config: { access: route.access },
      schema: { tags: route.tags, summary: route.summary, description: route.description, params: idParams, querystring: eventStreamQuery },
    },
    async (request, reply) => {
      const owner: EventOwner = { kind: route.kind, id: request.params.id };
      const afterSeq = await startSeq(request, request.query, core.events, owner.id);
      // While the owner is looked up: subscribed to it, then its first stored events read (after the subscription,
      // so every event stored after them reaches the hub). Two round trips less before the first event; none is
      // sent unless the lookup lets the caller read them.
      const subscribed = request.query.follow ? fanOut.acquire(owner) : Promise.resolve(undefined);
      const firstPage = subscribed.then(() => core.events.list(owner.id, afterSeq));
      const [loaded, hub] = await Promise.allSettled([core.assertMayReadEvents(owner, request.caller), subscribed, firstPage]);
      if (loaded.status === 'rejected') {
        // Refused (404, 403): the subscription made meanwhile is let go.
        if (hub.status === 'fulfilled') hub.value?.release();
        else request.log.warn({ owner, err: hub.reason }, 'subscribing to the events of a refused stream failed');
        throw loaded.reason;
      }
      await streamEvents(request, reply, {
        owner,
        hub: subscribed,
        afterSeq,
        firstPage,
        log: core.events,
        isLast: route.isLast,
      });
    },
  );
}
