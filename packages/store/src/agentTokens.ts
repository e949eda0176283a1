import { createHash, randomBytes } from 'node:crypto';
import { and, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Database } from './db/database.ts';
import type { EventOwner } from '@mission/contracts';
import { apiTokens } from './db/schema.ts';
import { newId } from '@mission/contracts';
import { AGENT_TOOL_SCOPES, type AgentTool } from '@mission/contracts';
import type { Scope } from '@mission/contracts';

const TOKEN_PREFIX = 'msn';

/** A new API token `msn.<id>.<secret>`; only the hash of the secret is stored. */
export function newTokenCredential(): { id: string; token: string; secretHash: string } {
  const id = newId('tok');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}.${id}.${secret}`, secretHash: hashTokenSecret(secret) };
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Splits `msn.<id>.<secret>`; undefined when it is not of that shape. */
export function parseTokenCredential(token: string): { id: string; secret: string } | undefined {
  const [prefix, id, secret, extra] = token.split('.');
  const wellFormed =
    prefix === TOKEN_PREFIX && id !== undefined && secret !== undefined && extra === undefined && /^tok_[0-9a-v]+$/.test(id);
  return wellFormed ? { id, secret } : undefined;
}

/** The scopes a child token needs for these Mission tools, and no more. */
export function scopesForAgentTools(tools: readonly string[]): Scope[] {
  return [...new Set(tools.map((tool) => AGENT_TOOL_SCOPES[tool as AgentTool]).filter((scope) => scope !== undefined))];
}

/**
 * Mints the token an agent uses to call Mission's MCP server: bound to its session or task, limited to its
 * role's Mission tools. Returns the secret (it goes into the CLI's environment only).
 */
export async function mintAgentToken(db: Database, owner: EventOwner, grant: { role: string; tools: readonly string[] }): Promise<string> {
  const credential = newTokenCredential();
  await db.insert(apiTokens).values({
    id: credential.id,
    name: `${owner.kind}:${owner.id}`,
    secretHash: credential.secretHash,
    scopes: scopesForAgentTools(grant.tools),
    createdBy: `role:${grant.role}`,
    ...(owner.kind === 'session' ? { sessionId: owner.id } : { taskId: owner.id }),
    tools: [...grant.tools],
  });
  return credential.token;
}

/** Revokes the child tokens of these sessions and tasks (they ended). */
export async function revokeAgentTokens(db: Database, ownerIds: readonly string[]): Promise<void> {
  if (ownerIds.length === 0) return;
  await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(or(inArray(apiTokens.sessionId, [...ownerIds]), inArray(apiTokens.taskId, [...ownerIds])), isNull(apiTokens.revokedAt)));
}
