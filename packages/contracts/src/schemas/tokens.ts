import { z } from 'zod';
import { scopes } from '../vocabulary.ts';

export { scopes };

export const scopeSchema = z.enum(scopes);
export type Scope = z.infer<typeof scopeSchema>;

export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  if (granted.includes('admin') || granted.includes(needed)) return true;
  return needed.endsWith(':read') && granted.includes(needed.replace(/:read$/, ':write') as Scope);
}

export const tokenCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(scopeSchema).min(1, 'give the token at least one scope').max(scopes.length),
});
export type TokenCreateInput = z.infer<typeof tokenCreateSchema>;

export const apiTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

/** Who is calling: a token's name and scopes (or, with auth off, the local operator). */
export interface Caller {
  /** As recorded in audit rows: `token:<name>`, or `local` with auth off. */
  label: string;
  scopes: readonly Scope[];
  /** Rate limits are kept per key. */
  key: string;
  /** An agent calling with its child token: only these tools, only on what it started. */
  agent?: AgentCaller;
}

/**
 * The session or task (`claude -p`) a child token was minted for (its `id`: what the agent starts gets it
 * as `parentId`), its slot's role, and the Mission tools that role gives.
 */
export interface AgentCaller {
  kind: 'session' | 'task';
  id: string;
  role: string;
  tools: readonly string[];
}
