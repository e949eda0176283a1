import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tokens for approval links: `<approval id>.<expiry ms>.<HMAC-SHA256 of both>`, so a link decides
 * exactly one approval, and only until it expires. Checked in constant time.
 */
export function signApprovalToken(secret: string, approvalId: string, expiresAtMs: number): string {
  const body = `${approvalId}.${expiresAtMs}`;
  return `${body}.${mac(secret, body)}`;
}

export type TokenCheck = { approvalId: string } | { problem: 'malformed' | 'tampered' | 'expired' };

export function verifyApprovalToken(secret: string, token: string, now = Date.now()): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^\d+$/.test(parts[1]!)) return { problem: 'malformed' };
  const [approvalId, expires, signature] = parts as [string, string, string];
  const expected = Buffer.from(mac(secret, `${approvalId}.${expires}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { problem: 'tampered' };
  if (Number(expires) <= now) return { problem: 'expired' };
  return { approvalId };
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
