import type { ServerResponse } from 'node:http';
import { BadRequestError, type EventOwner, type MissionEvent, MissionError } from '@mission/contracts';
import type { EventLog } from '@mission/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { END_FRAME, errorFrame, frameOf, type IsLast, type OwnerHub } from './eventFanOut.ts';

const KEEPALIVE_MS = 15_000;

/** Resolves when the response has room again, or is gone. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Takes the reply over as a Server-Sent Events stream: its head written (with `headers` besides), a first comment, and a
 * keepalive comment every KEEPALIVE_MS until `stopKeepalive` (so proxies keep a quiet stream open).
 */
export function openEventStream(
  reply: FastifyReply,
  headers: Record<string, string> = {},
): { res: ServerResponse; stopKeepalive: () => void } {
  reply.hijack();
  const res = reply.raw;
  // The body ends when the connection does, not chunked (Node then says `Connection: close`): an event is written to
  // each reader as its frame alone, where a chunk's length and CRLFs were three more pieces on every write (≈ 20 % of
  // the API's CPU per delivery, measured fanning out to 1,000 readers). An event stream's connection serves one
  // stream in either case.
  res.useChunkedEncodingByDefault = false;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    ...headers,
  });
  res.write(': connected\n\n');
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  return { res, stopKeepalive: () => clearInterval(keepalive) };
}

/**
 * The seq a stream of `ownerId`'s events starts after: `Last-Event-ID` (set by EventSource on reconnect) wins, then
 * `?after=` (a seq), then `?last=` (the owner's last N stored events); else the first. `after` with `last` is a 400.
 */
export async function startSeq(
  request: FastifyRequest,
  query: { after?: number; last?: number },
  log: Pick<EventLog, 'seqBeforeLast'>,
  ownerId: string,
): Promise<number> {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && /^\d+$/.test(header)) return Number(header);
  if (query.after !== undefined && query.last !== undefined)
    throw new BadRequestError(
      '?after= and ?last= do not go together: after resumes a stream at a seq, last starts one at its most recent events',
    );
  if (query.last !== undefined) return log.seqBeforeLast(ownerId, query.last);
  return query.after ?? 0;
}

/**
 * Streams an owner's events as Server-Sent Events: stored ones after `afterSeq`, then (when following) live ones
 * from the owner's fan-out hub, `hub` as its acquire resolves (undefined: not following), released here. Each event's
 * SSE id is its seq, so a client resumes with `Last-Event-ID`. When the route's `isLast` says an event ends the
 * stream, or the stored events are all sent without following, an `end` event follows and the response closes; a
 * reader that falls too far behind gets an `error` event (resume after its `afterSeq`).
 */
export async function streamEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    owner: EventOwner;
    /** The owner's hub as its acquire resolves (settled by then: the route waited for it with the owner's lookup). */
    hub: Promise<OwnerHub | undefined>;
    afterSeq: number;
    /** The first page of stored events after `afterSeq`, read once subscribed. */
    firstPage: Promise<MissionEvent[]>;
    log: EventLog;
    isLast: IsLast;
  },
): Promise<void> {
  const { owner, log, isLast } = options;
  let closed = false;
  const { res, stopKeepalive } = openEventStream(reply);
  request.server.shutdownCuts.stream(res);
  // The reader went away (the response closes; a request's own 'close' says only that its body was read).
  res.once('close', () => (closed = true));
  let hub: OwnerHub | undefined;
  try {
    // Subscribed before the stored events are read, so every event stored after them reaches the hub.
    hub = await options.hub;
    let last = options.afterSeq;
    // The stored events at this reader's own pace (read a page at a time as it reads), never the others'.
    for await (const event of log.replay(owner.id, last, options.firstPage)) {
      if (closed) return;
      if (!res.write(frameOf(event))) await writable(res);
      last = event.seq;
      if (await isLast(owner.id, event)) {
        res.write(END_FRAME);
        return;
      }
    }
    if (!hub) res.write(END_FRAME);
    else if (!closed) {
      const end = await hub.join({ res, last });
      if (end.kind === 'dropped') request.log.warn({ owner, err: end.error }, 'event stream reader fell behind; ended');
      if (end.kind === 'failed') request.log.warn({ owner, err: end.error }, 'event stream ended early');
    }
  } catch (error) {
    if (error instanceof MissionError) request.log.warn({ owner, err: error }, 'event stream ended early');
    else request.log.error({ err: error }, 'event stream failed');
    res.write(errorFrame(error));
  } finally {
    hub?.release();
    stopKeepalive();
    res.end();
  }
}
