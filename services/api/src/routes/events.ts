import type { CoreRuntime } from '@mission/core';
import type { Caller, EventOwner, MissionEvent, Scope } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventFanOut } from '../eventFanOut.ts';
import { resumeSeq, streamEvents } from '../sse.ts';
import { eventStreamQuery, idParams } from './schemas.ts';

type App = Parameters<FastifyPluginAsyncZod>[0];

/** What differs between the events routes of tasks and of sessions; the stream itself is the same. */
export interface EventsRoute {
  kind: EventOwner['kind'];
  access: Scope;
  tags: string[];
  summary: string;
  description: string;
  /** Resolves once the owner is known to exist (404) and the caller may read it (403). */
  load(id: string, caller: Caller): Promise<void>;
  /** Whether this event ends the stream. */
  isLast(ownerId: string, event: MissionEvent): boolean | Promise<boolean>;
}

/**
 * `GET /v1/<kind>s/:id/events`: the owner's stored events, then (unless `?follow=false`) live ones, as
 * Server-Sent Events resumable with Last-Event-ID or `?after=`.
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
      // Subscribed while the owner is looked up, not after: one round trip less before the first event.
      const [loaded, hub] = await Promise.allSettled([
        route.load(owner.id, request.caller),
        request.query.follow ? fanOut.acquire(owner) : undefined,
      ]);
      if (loaded.status === 'rejected') {
        // Refused (404, 403): the subscription made meanwhile is let go.
        if (hub.status === 'fulfilled') hub.value?.release();
        else request.log.warn({ owner, err: hub.reason }, 'subscribing to the events of a refused stream failed');
        throw loaded.reason;
      }
      await streamEvents(request, reply, {
        owner,
        hub,
        afterSeq: resumeSeq(request, request.query.after),
        log: core.events,
        isLast: route.isLast,
      });
    },
  );
}
