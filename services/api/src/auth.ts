import { assertScope, type CoreRuntime } from '@mission/core';
import { type Caller, errorBody, MissionError, type Scope } from '@mission/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cookieOriginProblem } from './cookieOrigin.ts';
import { checkWindows, type RateDecision, SlidingWindowLimiter } from './rateLimiter.ts';

/** What a route needs: a scope, any valid token (`token`), or nothing (`public`). */
export type RouteAccess = Scope | 'token' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyInstance {
    /** Who a token is, counting a wrong one against the client's address (too many: 429 before the token is even looked at). */
    signIn(request: FastifyRequest, token: string | undefined): Promise<Caller>;
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

/** The two limits of the API: requests per token, failed sign-ins per client address. */
interface Limits {
  requests: SlidingWindowLimiter;
  failedAuth: SlidingWindowLimiter;
}

/**
 * Every route declares its access (`config.access`); one that does not fails the server's start, so
 * no route is ever left open by mistake. Requests carry `Authorization: Bearer <token>` (or the
 * `mission_token` cookie, whose writes and attach must come from the API's own origin: cookieOrigin.ts; `?access_token=` on the WebSocket attach, which browsers cannot give
 * headers). Each token is rate-limited per sliding minute, and each client address to so many failed
 * sign-ins per window, counted in Redis so every API replica agrees.
 */
export function registerAuth(app: FastifyInstance, core: CoreRuntime): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const { config } = core;
  const prefix = `${config.queuePrefix}:ratelimit`;
  const limits: Limits = {
    requests: new SlidingWindowLimiter(core.redis, `${prefix}:token`, config.rateLimitPerMinute, WINDOW_MS),
    failedAuth: new SlidingWindowLimiter(core.redis, `${prefix}:failed-auth`, config.failedAuthLimit, config.failedAuthWindowMs),
  };
  app.decorateRequest('caller');
  app.decorate('signIn', (request: FastifyRequest, token: string | undefined) => signIn(core, limits, request, token));
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
      await admit(core, limits, request, access, (seconds) => reply.header('retry-after', seconds));
    } catch (error) {
      if (!(error instanceof MissionError)) throw error;
      return reply.status(error.httpStatus).send(errorBody(error));
    }
  });
  if (!core.config.auth)
    core.logger.warn('AUTH IS OFF (MISSION_AUTH=off): anyone who can reach this port can run agents. Use this only on your own machine.');
  return routes;
}

/**
 * Who a token is. With auth on, an address with too many failed sign-ins in the window is refused (429)
 * before the token is looked at, and every wrong token counts against its address.
 */
async function signIn(
  core: CoreRuntime,
  limits: Limits,
  request: FastifyRequest,
  token: string | undefined,
  retryAfter?: (seconds: number) => void,
): Promise<Caller> {
  if (!core.config.auth) return core.authenticate(token);
  refuseFailedSignIns(request, await limits.failedAuth.peek(request.ip), retryAfter);
  try {
    return await core.authenticate(token);
  } catch (error) {
    if (error instanceof MissionError && error.code === 'unauthorized') await limits.failedAuth.hit(request.ip);
    throw error;
  }
}

/** Authenticates the caller (401; 429 after too many failures from its address), checks the scope (403) and the token's rate (429). */
async function admit(
  core: CoreRuntime,
  limits: Limits,
  request: FastifyRequest,
  access: Exclude<RouteAccess, 'public'>,
  retryAfter: (seconds: number) => void,
): Promise<void> {
  const credential = credentialOf(request);
  if (credential.from === 'cookie') {
    const problem = cookieOriginProblem({
      method: request.method,
      websocket: isWebSocket(request),
      origin: request.headers.origin,
      referer: request.headers.referer,
      host: request.headers.host,
      publicUrl: core.config.publicUrl,
      allowedOrigins: core.config.allowedOrigins,
    });
    if (problem) throw new MissionError('forbidden', problem);
  }
  // A token verified lately (cached, no lookup): its address's failed sign-ins and its own rate in one round trip.
  const known = core.config.auth ? core.tokens.cachedCaller(credential.token) : undefined;
  if (known) return admitKnown(core, limits, request, known, access, retryAfter);
  request.caller = await signIn(core, limits, request, credential.token, retryAfter);
  refuseOutOfScope(request, request.caller, access);
  if (!core.config.auth) return;
  refuseOverRate(core, await limits.requests.hit(request.caller.key), retryAfter);
}

/**
 * {@link admit} for a caller already known from the token cache, refusing as the other path does and in the same
 * order (too many failed sign-ins from its address, then scope, then rate), so the answer says no more about the
 * token; the request counts against the token's rate only when it is let through.
 */
async function admitKnown(
  core: CoreRuntime,
  limits: Limits,
  request: FastifyRequest,
  caller: Caller,
  access: Exclude<RouteAccess, 'public'>,
  retryAfter: (seconds: number) => void,
): Promise<void> {
  let outOfScope: MissionError | undefined;
  try {
    refuseOutOfScope(request, caller, access);
  } catch (error) {
    if (!(error instanceof MissionError)) throw error;
    outOfScope = error;
  }
  const [failures, rate] = await checkWindows([
    { limiter: limits.failedAuth, key: request.ip, mode: 'peek' },
    { limiter: limits.requests, key: caller.key, mode: outOfScope ? 'peek' : 'hit' },
  ]);
  refuseFailedSignIns(request, failures!, retryAfter);
  if (outOfScope) throw outOfScope;
  request.caller = caller;
  refuseOverRate(core, rate!, retryAfter);
}

/** 403 for a route the caller's token does not open. */
function refuseOutOfScope(request: FastifyRequest, caller: Caller, access: Exclude<RouteAccess, 'public'>): void {
  if (access !== 'token' && caller.agent) {
    throw new MissionError(
      'forbidden',
      `a session's token (${caller.label}) opens Mission's MCP server only (${request.url} is not for it)`,
    );
  }
  if (access !== 'token') assertScope(caller, access);
}

/** 429 for an address with too many failed sign-ins in the window. */
function refuseFailedSignIns(request: FastifyRequest, failures: RateDecision, retryAfter?: (seconds: number) => void): void {
  if (failures.allowed) return;
  retryAfter?.(failures.retryAfterSeconds);
  throw new MissionError('rate_limited', `too many failed sign-ins from ${request.ip}; retry in ${failures.retryAfterSeconds} s`);
}

/** 429 for a token over its requests a minute. */
function refuseOverRate(core: CoreRuntime, rate: RateDecision, retryAfter: (seconds: number) => void): void {
  if (rate.allowed) return;
  retryAfter(rate.retryAfterSeconds);
  throw new MissionError(
    'rate_limited',
    `too many requests: at most ${core.config.rateLimitPerMinute} a minute per token; retry in ${rate.retryAfterSeconds} s`,
  );
}

/** The token a request carries and where: a header, the console's cookie (Origin-checked), or the attach's query. */
function credentialOf(request: FastifyRequest): { token: string | undefined; from: 'header' | 'cookie' | 'query' | 'none' } {
  const header = request.headers.authorization;
  if (header) return { token: /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? header, from: 'header' };
  const cookie = request.headers.cookie?.split(/;\s*/).find((part) => part.startsWith(`${TOKEN_COOKIE}=`));
  if (cookie) return { token: decodeCookie(cookie.slice(TOKEN_COOKIE.length + 1)), from: 'cookie' };
  if (isWebSocket(request)) {
    const query = request.query as Record<string, unknown> | undefined;
    if (typeof query?.access_token === 'string') return { token: query.access_token, from: 'query' };
  }
  return { token: undefined, from: 'none' };
}

const isWebSocket = (request: FastifyRequest) => request.headers.upgrade?.toLowerCase() === 'websocket';

/** A cookie value as sent; one that is not valid percent-encoding stays as it is (and fails as a token: 401, not 500). */
function decodeCookie(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch (error) {
    if (error instanceof URIError) return value;
    throw error;
  }
}
