import { timingSafeEqual } from 'node:crypto';
import {
  type AgentCaller,
  type ApiToken,
  type Caller,
  isEndedSessionState,
  MissionError,
  NotFoundError,
  parseInput,
  type Scope,
  tokenCreateSchema,
} from '@mission/contracts';
import {
  type ApiTokenRow,
  apiTokenRow,
  type Database,
  hashTokenSecret as hash,
  insertApiToken,
  listApiTokenRows,
  newTokenCredential,
  parseTokenCredential,
  revokeAgentTokens,
  type RevokedTokens,
  revokeApiToken,
  sessionStateAndRole,
  taskStatusAndRole,
  touchApiToken,
} from '@mission/store';
import { recordAudit } from './audit.ts';
import type { TokenCache } from './tokenCache.ts';

/** lastUsedAt is refreshed at most this often per token. */
const LAST_USED_EVERY_MS = 60_000;

/** How an API process keeps verified tokens and hears of revocations (without: every request looks its token up). */
export interface TokenServiceCaching {
  cache: TokenCache;
  /** Tells every other API process (Redis pub/sub, tokenRevocations.ts). */
  announce(revoked: RevokedTokens): Promise<void>;
}

/**
 * API bearer tokens `msn.<id>.<secret>`: only a SHA-256 of the secret is stored, and it is compared
 * in constant time (also when the id is unknown, so timing does not tell which ids exist). With
 * `caching`, a verified token is kept for a short TTL (tokenCache.ts) and a revoke drops it here before
 * it returns, and in every other API process once the announcement reaches it.
 */
export class TokenService {
  constructor(
    private readonly db: Database,
    private readonly caching?: TokenServiceCaching,
  ) {}

  /** Creates a token; the secret is in the answer once and never again. */
  async create(body: unknown, by: string): Promise<{ token: string; info: ApiToken }> {
    const input = parseInput(tokenCreateSchema, body, 'token');
    const { id, token, secretHash } = newTokenCredential();
    const row = await insertApiToken(this.db, { id, name: input.name, secretHash, scopes: [...new Set(input.scopes)], createdBy: by });
    return { token, info: toToken(row) };
  }

  async list(): Promise<ApiToken[]> {
    return (await listApiTokenRows(this.db)).map(toToken);
  }

  async revoke(id: string, by = 'unknown'): Promise<ApiToken> {
    const row = await revokeApiToken(this.db, id);
    if (!row) throw new NotFoundError('token', id);
    this.caching?.cache.drop({ tokens: [id] });
    await this.caching?.announce({ tokens: [id] });
    await recordAudit(this.db, { kind: 'token_revoked', actor: by, target: id, details: { name: row.name } });
    return toToken(row);
  }

  /**
   * The caller of a token verified lately and still cached (no lookup, nothing counted); undefined otherwise, when
   * {@link authenticate} is the way to know.
   */
  cachedCaller(token: string | undefined): Caller | undefined {
    const credential = token ? parseTokenCredential(token) : undefined;
    if (!credential) return undefined;
    return this.caching?.cache.get(credential.id, Buffer.from(hash(credential.secret), 'hex'));
  }

  /** The caller a bearer token stands for; 401 for a missing, malformed, unknown or revoked token. */
  async authenticate(token: string | undefined): Promise<Caller> {
    if (!token)
      throw new MissionError(
        'unauthorized',
        'this needs an API token: send "Authorization: Bearer <token>" (create one with `mission token create`)',
      );
    const cached = this.cachedCaller(token);
    if (cached) return cached;
    const credential = parseTokenCredential(token);
    const presented = Buffer.from(hash(credential?.secret ?? ''), 'hex');
    const begun = this.caching?.cache.begin() ?? 0;
    const row = credential ? await apiTokenRow(this.db, credential.id) : undefined;
    const expected = Buffer.from(row?.secretHash ?? hash('no such token'), 'hex');
    const matches = timingSafeEqual(expected, presented) && row !== undefined;
    if (!matches || !row) throw new MissionError('unauthorized', 'the API token is not valid');
    if (row.revokedAt) throw new MissionError('unauthorized', 'the API token has been revoked');
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
      await touchApiToken(this.db, row.id);
    }
    const agent = await this.agentOf(row);
    const caller: Caller = { label: `token:${row.name}`, scopes: row.scopes as Scope[], key: row.id, ...(agent ? { agent } : {}) };
    this.caching?.cache.set(row.id, { secretHash: expected, caller, ...(agent ? { owner: agent.id } : {}) }, begun);
    return caller;
  }

  /**
   * A child token stands for its session's or task's agent while the session runs or the task is
   * running; once that has ended the token is revoked.
   */
  private async agentOf(row: ApiTokenRow): Promise<AgentCaller | undefined> {
    const owner = row.sessionId ? await this.sessionAgent(row.sessionId) : row.taskId ? await this.taskAgent(row.taskId) : undefined;
    if (!owner) return undefined;
    if (!owner.live) {
      await revokeAgentTokens(this.db, [owner.id]);
      throw new MissionError('unauthorized', `the API token has been revoked: its ${owner.kind} ${owner.id} has ended`);
    }
    return { kind: owner.kind, id: owner.id, role: owner.role, tools: row.tools ?? [] };
  }

  private async sessionAgent(id: string): Promise<AgentOwnerState> {
    const session = await sessionStateAndRole(this.db, id);
    return { kind: 'session', id, live: session !== undefined && !isEndedSessionState(session.state), role: session?.role ?? 'unknown' };
  }

  private async taskAgent(id: string): Promise<AgentOwnerState> {
    const task = await taskStatusAndRole(this.db, id);
    return { kind: 'task', id, live: task?.status === 'running', role: task?.role ?? 'unknown' };
  }
}

/** Whether the session or task a child token was minted for still runs, and its slot's role. */
interface AgentOwnerState {
  kind: AgentCaller['kind'];
  id: string;
  live: boolean;
  role: string;
}

function toToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
