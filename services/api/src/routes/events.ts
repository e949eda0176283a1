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
  /** The owner's id once it is known to exist (404) and the caller may read it (403). */
  load(id: string, caller: Caller): Promise<string>;
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
      const id = await route.load(request.params.id, request.caller);
      await streamEvents(request, reply, {
        owner: { kind: route.kind, id },
        afterSeq: resumeSeq(request, request.query.after),
        follow: request.query.follow,
        log: core.events,
        fanOut,
        isLast: route.isLast,
      });
    },
  );
}
