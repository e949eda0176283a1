import type { Redis } from 'ioredis';

/**
 * Which tokens were just revoked: by id (`mission token revoke`, `DELETE /v1/tokens/:id`), or every child
 * token of these sessions and tasks (they ended). Every API process drops them from its token cache.
 */
export interface RevokedTokens {
  tokens?: readonly string[];
  owners?: readonly string[];
}

/** The Redis channel revocations are announced on. */
export const tokenRevocationChannel = (queuePrefix: string) => `${queuePrefix}:tokens:revoked`;

/**
 * Publishes a revocation (after it is stored: a process that looks the token up again must find it
 * revoked). Rejects when Redis cannot take it; the token caches then drop it within their TTL.
 */
export async function announceRevokedTokens(publisher: Redis, queuePrefix: string, revoked: RevokedTokens): Promise<void> {
  if (!revoked.tokens?.length && !revoked.owners?.length) return;
  await publisher.publish(
    tokenRevocationChannel(queuePrefix),
    JSON.stringify({ tokens: revoked.tokens ?? [], owners: revoked.owners ?? [] }),
  );
}

/** A revocation as announced; undefined for a message of another shape. */
export function parseRevokedTokens(json: unknown): Required<RevokedTokens> | undefined {
  const value = json as { tokens?: unknown; owners?: unknown } | null;
  const strings = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (!value || !strings(value.tokens) || !strings(value.owners)) return undefined;
  return { tokens: value.tokens as string[], owners: value.owners as string[] };
}
