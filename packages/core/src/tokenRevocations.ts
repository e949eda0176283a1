import { type ChannelSubscriber, type Logger, parseRevokedTokens, type Redis, tokenRevocationChannel } from '@mission/store';
import type { TokenCache } from './tokenCache.ts';

/**
 * Keeps an API process's token cache true to revocations announced by any process: drops what each
 * announcement names, and caches nothing while the subscription is not in place (Redis down or
 * reconnecting: an announcement could be missed meanwhile, so the cache is emptied then too).
 * Returns the function that stops listening.
 */
export async function followTokenRevocations(o: {
  cache: TokenCache;
  subscriber: ChannelSubscriber;
  connection: Redis;
  queuePrefix: string;
  logger: Logger;
}): Promise<() => void> {
  const channel = tokenRevocationChannel(o.queuePrefix);
  const closed = () => o.cache.setOpen(false);
  // ioredis subscribes again on its own after a reconnect; caching resumes once Redis confirms it.
  const ready = () => {
    o.connection.subscribe(channel).then(
      () => o.cache.setOpen(true),
      (error: unknown) =>
        o.logger.warn({ err: error }, 'could not subscribe to token revocations again: API tokens are not cached until it can'),
    );
  };
  o.connection.on('close', closed);
  o.connection.on('ready', ready);
  const unsubscribe = await o.subscriber.subscribe(channel, (_message, json) => {
    let revoked: ReturnType<typeof parseRevokedTokens>;
    try {
      revoked = parseRevokedTokens(json());
    } catch (error) {
      o.logger.warn({ err: error }, 'a token revocation that is not JSON: every cached token is dropped');
    }
    if (revoked) o.cache.drop(revoked);
    else {
      o.logger.warn('a token revocation of an unknown shape: every cached token is dropped');
      o.cache.setOpen(false);
      o.cache.setOpen(true);
    }
  });
  o.cache.setOpen(true);
  return () => {
    o.connection.off('close', closed);
    o.connection.off('ready', ready);
    o.cache.setOpen(false);
    unsubscribe();
  };
}
