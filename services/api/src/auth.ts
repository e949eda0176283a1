import type { CoreRuntime } from '@mission/core';
import { type Caller, errorBody, hasScope, MissionError, type Scope } from '@mission/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What a route needs: a scope, any valid token (`token`), or nothing (`public`). */
export type RouteAccess = Scope | 'token' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess;
}

/** Routes mounted by plugins that cannot be told their access themselves, by path prefix. */
const ACCESS_BY_PREFIX: [string, RouteAccess][] = [
  ['/admin/queues', 'admin'],
  ['/docs', 'public'],
];
/** The cookie the console's login sets (routes/console.ts). */
export const TOKEN_COOKIE = 'mission_token';
const WINDOW_MS = 60_000;

/**
 * Every route declares its access (`config.access`); one that does not fails the server's start, so
 * no route is ever left open by mistake. Requests carry `Authorization: Bearer <token>` (or the
 * `mission_token` cookie; `?access_token=` on the WebSocket attach, which browsers cannot give
 * headers). Each token is rate-limited per minute, counted in Redis so every API replica agrees.
 */
export function registerAuth(app: FastifyInstance, core: CoreRuntime): RouteEntry[] {
  const routes: RouteEntry[] = [];
  app.decorateRequest('caller');
  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? ACCESS_BY_PREFIX.find(([prefix]) => route.url.startsWith(prefix))?.[1];
    if (!access) throw new Error(`route ${String(route.method)} ${route.url} does not say who may call it (config.access)`);
    route.config = { ...route.config, access };
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access });
  });
  // Refusals are sent from here, not thrown: plugins with error handlers of their own (Bull Board)
  // would turn a thrown error into a 500.
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (!access || access === 'public') return;
    try {
      await admit(core, request, access, (seconds) => reply.header('retry-after', seconds));
    } catch (error) {
      if (!(error instanceof MissionError)) throw error;
      return reply.status(error.httpStatus).send(errorBody(error));
    }
  });
  if (!core.config.auth) core.logger.warn('AUTH IS OFF (MISSION_AUTH=off): anyone who can reach this port can run agents. Use this only on your own machine.');
  return routes;
}

/** Authenticates the caller (401), checks the scope (403) and the token's rate (429). */
async function admit(core: CoreRuntime, request: FastifyRequest, access: Exclude<RouteAccess, 'public'>, retryAfter: (seconds: number) => void): Promise<void> {
  request.caller = await core.authenticate(bearerToken(request));
  if (access !== 'token' && request.caller.agent) {
    throw new MissionError('forbidden', `a session's token (${request.caller.label}) opens Mission's MCP server only (${request.url} is not for it)`);
  }
  if (access !== 'token' && !hasScope(request.caller.scopes, access)) {
    throw new MissionError('forbidden', `this needs the '${access}' scope; the token has ${request.caller.scopes.join(', ')}`);
  }
  if (!core.config.auth) return;
  const { count, resetInMs } = await countRequest(core, request.caller.key);
  if (count > core.config.rateLimitPerMinute) {
    const seconds = Math.ceil(resetInMs / 1000);
    retryAfter(seconds);
    throw new MissionError('rate_limited', `too many requests: at most ${core.config.rateLimitPerMinute} a minute per token; retry in ${seconds} s`);
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) return /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? header;
  const cookie = request.headers.cookie?.split(/;\s*/).find((part) => part.startsWith(`${TOKEN_COOKIE}=`));
  if (cookie) return decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1));
  if (request.headers.upgrade?.toLowerCase() === 'websocket') {
    const query = request.query as Record<string, unknown> | undefined;
    if (typeof query?.access_token === 'string') return query.access_token;
  }
  return undefined;
}

/** Fixed one-minute windows per token in Redis. */
async function countRequest(core: CoreRuntime, key: string): Promise<{ count: number; resetInMs: number }> {
  const window = Math.floor(Date.now() / WINDOW_MS);
  const redisKey = `${core.config.queuePrefix}:ratelimit:${key}:${window}`;
  const [[, count]] = (await core.redis.multi().incr(redisKey).pexpire(redisKey, WINDOW_MS).exec()) as [[Error | null, number]];
  return { count, resetInMs: (window + 1) * WINDOW_MS - Date.now() };
}
