import type { FastifyReply } from 'fastify';

/**
 * Aborted when the asker of a request that waits (an ask, a coordination) goes away before its answer: the response
 * closed unfinished. (The request's own 'close' comes as soon as its body is read, before the handler runs: it says
 * nothing of the asker.)
 */
export function askerGoneSignal(reply: FastifyReply): AbortSignal {
  const asker = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) asker.abort();
  });
  return asker.signal;
}
