import type { ServerResponse } from 'node:http';
import { errorBody, type EventOwner, type MissionEvent, MissionError } from '@mission/contracts';
import { followEvents } from '@mission/store';
import type { CoreRuntime } from '@mission/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

const KEEPALIVE_MS = 15_000;

/** An event as an SSE message, built once however many streams send it (live events are shared by their followers). */
const frames = new WeakMap<MissionEvent, string>();
function frameOf(event: MissionEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

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

/** `Last-Event-ID` (set by EventSource on reconnect) wins over `?after=`; both are a seq. */
export function resumeSeq(request: FastifyRequest, after: number | undefined): number {
  const header = request.headers['last-event-id'];
  const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
  return fromHeader ?? after ?? 0;
}

/**
 * Streams an owner's events as Server-Sent Events: stored ones after `afterSeq`, then (with `follow`)
 * live ones. Each event's SSE id is its seq, so a client resumes with `Last-Event-ID`. When `isLast` says
 * an event ends the stream, or the stored events are all sent without `follow`, an `end` event follows
 * and the response closes.
 */
export async function streamEvents(
  core: CoreRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { owner: EventOwner; afterSeq: number; follow: boolean; isLast(event: MissionEvent): boolean | Promise<boolean> },
): Promise<void> {
  const abort = new AbortController();
  request.raw.once('close', () => abort.abort());
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  try {
    const source = options.follow
      ? followEvents({
          log: core.events,
          subscriber: core.subscriber,
          owner: options.owner,
          afterSeq: options.afterSeq,
          signal: abort.signal,
        })
      : core.events.replay(options.owner.id, options.afterSeq);
    let ended = !options.follow;
    for await (const event of source) {
      // A slow reader slows its own stream (stored events are read a page at a time as it reads), never
      // the others; the live events it has not taken are bounded by followEvents.
      if (!res.write(frameOf(event))) await writable(res);
      if (await options.isLast(event)) {
        ended = true;
        break;
      }
    }
    if (ended) res.write('event: end\ndata: {}\n\n');
  } catch (error) {
    if (error instanceof MissionError) {
      request.log.warn({ owner: options.owner, err: error }, 'event stream ended early');
      res.write(`event: error\ndata: ${JSON.stringify(errorBody(error).error)}\n\n`);
    } else {
      request.log.error({ err: error }, 'event stream failed');
      res.write(`event: error\ndata: ${JSON.stringify({ code: 'internal', message: 'event stream failed' })}\n\n`);
    }
  } finally {
    clearInterval(keepalive);
    res.end();
  }
}
