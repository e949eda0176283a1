import type { ServerResponse } from 'node:http';
import { errorBody, type EventOwner, type MissionEvent, MissionError, UnavailableError } from '@mission/contracts';
import type { ChannelSubscriber, EventLog } from '@mission/store';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Bytes a caught-up response may hold unsent before it is ended (resumable with Last-Event-ID): a reader that
 * falls this far behind is dropped, never buffered without bound.
 */
export const MAX_BUFFERED_BYTES = 1 << 20;

/** Whether an event ends its owner's stream. */
export type IsLast = (ownerId: string, event: MissionEvent) => boolean | Promise<boolean>;

/** An event as an SSE message; its seq is its SSE id. */
export function frameOf(event: MissionEvent, json = JSON.stringify(event)): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${json}\n\n`;
}

export const END_FRAME = 'event: end\ndata: {}\n\n';

export function errorFrame(error: unknown): string {
  const body = error instanceof MissionError ? errorBody(error).error : { code: 'internal', message: 'event stream failed' };
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}

/** A response that has every stored event up to `last` and takes the live ones after it from its owner's hub. */
export interface Follower {
  res: ServerResponse;
  last: number;
}

/** How a follower's stream ended: its owner's last event sent, dropped (with the error it was sent), or closed by its reader. */
export type FollowEnd =
  | { kind: 'last' }
  | { kind: 'dropped'; error: MissionError }
  | { kind: 'failed'; error: unknown }
  | { kind: 'closed' };

/**
 * The live events of every owner followed on this API process, fanned out to their caught-up responses: one
 * subscription per owner, each event checked by `isLast`, framed and encoded once, then written synchronously to
 * every follower (the same bytes). Followers replay the stored events themselves first (at their own pace), then
 * {@link OwnerHub.join} the hub, which sends them what it delivered meanwhile, so none sees a gap or a duplicate.
 */
export class EventFanOut {
  private readonly hubs = new Map<string, OwnerHub>();

  constructor(private readonly deps: { log: EventLog; subscriber: ChannelSubscriber; isLast: IsLast; logger: FastifyBaseLogger }) {}

  /**
   * The owner's hub, subscribed: every event stored after this resolves reaches it. Release it once done with it
   * (the last release unsubscribes).
   */
  async acquire(owner: EventOwner): Promise<OwnerHub> {
    let hub = this.hubs.get(owner.id);
    if (!hub) {
      hub = new OwnerHub(owner, this.deps, () => this.hubs.delete(owner.id));
      this.hubs.set(owner.id, hub);
    }
    try {
      await hub.acquire();
    } catch (error) {
      hub.release();
      throw error;
    }
    return hub;
  }
}

/** See {@link EventFanOut}. */
export class OwnerHub {
  private readonly followers = new Map<ServerResponse, { follower: Follower; ended: (end: FollowEnd) => void }>();
  /** Every event (and join) in turn: events go out in seq order, and a join sees no event half delivered. */
  private turn: Promise<void> = Promise.resolve();
  /** The highest seq delivered (or seen with nobody to deliver it to). */
  private delivered = 0;
  private users = 0;
  private subscribed: Promise<() => void> | undefined;

  constructor(
    private readonly owner: EventOwner,
    private readonly deps: { log: EventLog; subscriber: ChannelSubscriber; isLast: IsLast; logger: FastifyBaseLogger },
    private readonly forget: () => void,
  ) {}

  async acquire(): Promise<void> {
    this.users++;
    this.subscribed ??= this.deps.subscriber.subscribe(this.deps.log.channel(this.owner), (message, json) => {
      const event = json() as MissionEvent;
      // The message is the event as published (JSON.stringify of the stored event): framed as it came.
      const frame = Buffer.from(frameOf(event, message));
      this.inTurn(() => this.deliverLive(event, frame));
    });
    await this.subscribed;
  }

  release(): void {
    if (--this.users > 0) return;
    this.forget();
    const subscribed = this.subscribed;
    this.subscribed = undefined;
    subscribed
      ?.then((unsubscribe) => unsubscribe())
      .catch((error) => this.deps.logger.warn({ err: error, owner: this.owner }, 'a fan-out hub never subscribed'));
  }

  /**
   * Adds a response that has the stored events up to `follower.last` (and is not ended by one of them); resolves
   * when its stream ends. The events the hub delivered since it read them are sent first, from the log.
   */
  join(follower: Follower): Promise<FollowEnd> {
    return new Promise((resolve) => {
      let done = false;
      const ended = (end: FollowEnd) => {
        done = true;
        this.followers.delete(follower.res);
        follower.res.off('close', closed);
        resolve(end);
      };
      const closed = () => ended({ kind: 'closed' });
      follower.res.once('close', closed);
      this.inTurn(async () => {
        while (!done && follower.last < this.delivered) {
          const missed = await this.deps.log.list(this.owner.id, follower.last, { untilSeq: this.delivered });
          for (const event of missed) {
            follower.last = event.seq;
            follower.res.write(frameOf(event));
            if (await this.deps.isLast(this.owner.id, event)) return this.finish(follower.res, END_FRAME, ended, { kind: 'last' });
          }
        }
        if (!done) this.followers.set(follower.res, { follower, ended });
      }).catch((error) => this.finish(follower.res, errorFrame(error), ended, { kind: 'failed', error }));
    });
  }

  private inTurn(step: () => Promise<void>): Promise<void> {
    const run = this.turn.then(step);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** A live event: the ones it skipped over first (missed on the wire), from the log, then itself. */
  private async deliverLive(event: MissionEvent, frame: Buffer): Promise<void> {
    try {
      let from = event.seq - 1;
      for (const { follower } of this.followers.values()) if (follower.last < from) from = follower.last;
      if (event.seq > from + 1) {
        for (const missed of await this.deps.log.list(this.owner.id, from, { untilSeq: event.seq - 1 }))
          await this.deliver(missed, Buffer.from(frameOf(missed)));
      }
      await this.deliver(event, frame);
    } catch (error) {
      this.deps.logger.error({ err: error, owner: this.owner }, 'fanning out an event failed; its followers are ended (they may resume)');
      for (const [res, { ended }] of this.followers) this.finish(res, errorFrame(error), ended, { kind: 'failed', error });
    }
  }

  /** Writes one event to every follower that has the one before it: `isLast` asked once, the same bytes to each. */
  private async deliver(event: MissionEvent, frame: Buffer): Promise<void> {
    if (event.seq > this.delivered) this.delivered = event.seq;
    if (this.followers.size === 0) return;
    const last = await this.deps.isLast(this.owner.id, event);
    for (const [res, { follower, ended }] of this.followers) {
      if (event.seq <= follower.last) continue;
      follower.last = event.seq;
      res.write(frame);
      if (last) this.finish(res, END_FRAME, ended, { kind: 'last' });
      else if (res.writableLength > MAX_BUFFERED_BYTES) {
        const error = new UnavailableError(
          `the stream fell more than ${MAX_BUFFERED_BYTES} bytes behind; resume it after seq ${follower.last}`,
          { afterSeq: follower.last },
        );
        this.finish(res, errorFrame(error), ended, { kind: 'dropped', error });
      }
    }
  }

  /** Takes a follower out with its last frame; its stream's owner ends the response. */
  private finish(res: ServerResponse, frame: string, ended: (end: FollowEnd) => void, end: FollowEnd): void {
    ended(end);
    if (!res.destroyed) res.write(frame);
  }
}
