import { timingSafeEqual } from 'node:crypto';
import type { Caller } from '@mission/contracts';

/** What a verified token stood for, kept for a short while so a request needs no database lookup. */
export interface CachedToken {
  /** SHA-256 of the secret (raw bytes): a hit still proves the caller holds the secret. */
  secretHash: Buffer;
  caller: Caller;
  /** The session or task a child token was minted for: its end drops the token. */
  owner?: string;
}

interface Entry extends CachedToken {
  expiresAt: number;
}

/**
 * Verified API tokens by id, each for `ttlMs` at most. A revocation drops its tokens at once; a lookup
 * that started before a revocation stores nothing (the generation it began in has passed), so a row
 * read before the revoke committed is never kept. `ttlMs` 0 keeps nothing.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  /** While false (the revocation channel is not subscribed) nothing is stored: revocations could be missed. */
  private open = false;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller of token `id` when cached, unexpired, and `secretHash` is its secret's. */
  get(id: string, secretHash: Buffer): Caller | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.secretHash.length === secretHash.length && timingSafeEqual(entry.secretHash, secretHash) ? entry.caller : undefined;
  }

  /** Marks the start of a lookup: pass it to {@link set} with what the lookup found. */
  begin(): number {
    return this.generation;
  }

  /** Keeps a verified token, unless a revocation came (or the channel dropped) since `begun`. */
  set(id: string, token: CachedToken, begun: number): void {
    if (!this.open || this.ttlMs <= 0 || begun !== this.generation) return;
    this.entries.set(id, { ...token, expiresAt: this.now() + this.ttlMs });
  }

  /** Drops these tokens and the child tokens of these owners. */
  drop(revoked: { tokens?: readonly string[]; owners?: readonly string[] }): void {
    this.generation++;
    const owners = new Set(revoked.owners ?? []);
    for (const id of revoked.tokens ?? []) this.entries.delete(id);
    if (owners.size === 0) return;
    for (const [id, entry] of this.entries) if (entry.owner !== undefined && owners.has(entry.owner)) this.entries.delete(id);
  }

  /** Caching on (the revocation channel is subscribed) or off (it is not: everything is dropped). */
  setOpen(open: boolean): void {
    this.generation++;
    this.open = open;
    if (!open) this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
