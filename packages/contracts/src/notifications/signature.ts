import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every notification carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const SIGNATURE_HEADER = 'mission-signature';
/** The delivery's id: the same on every retry of one notification, so a receiver can drop repeats. */
export const DELIVERY_HEADER = 'mission-delivery';

export function signNotification(secret: string, body: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${mac(secret, timestampSeconds, body)}`;
}

/**
 * Checks a received notification: the signature matches the raw body and the timestamp is no older than
 * `toleranceSeconds` (a replayed request is refused). Constant time.
 */
export function verifyNotification(
  secret: string,
  body: string,
  header: string | undefined,
  options: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(mac(secret, timestamp, body));
  const given = Buffer.from(parts.v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}
