import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@mission/store';
import { agentCallServer } from '../agentCallServer.ts';
import { CallerCheck, CallerPin } from '../agentCaller.ts';
import { readBody } from '../httpBody.ts';
import { METRICS_PATH } from './cliSpend.ts';
import { type SpendHandler, takeMetricsExport } from './metricsExport.ts';
import { type HookInput, parseHookInput } from './hookPayloads.ts';

/** What a hook call whose handler failed is answered (with a 500): the CLI goes on as it does when a hook fails. */
const HOOK_FAILED = JSON.stringify({ error: "Mission's worker could not answer this hook call; its log says why" });

/** The header a session's hooks carry its secret in. */
export const HOOK_SECRET_HEADER = 'x-mission-hook-secret';

/**
 * Answers one hook call: the JSON the CLI reads back (`{}` to let it go on). It may take as long as a
 * person needs (a held permission request); `aborted` fires if the CLI gave up on the call (an interrupt).
 */
export type HookHandler = (input: HookInput, aborted: AbortSignal) => Promise<object>;

/** What a session's route takes: its hook calls (a session followed by its hooks), its claude's metrics exports. */
export interface RouteHandlers {
  hook?: HookHandler;
  spent?: SpendHandler;
}

export interface HookRoute {
  /** Where the session's hooks post (`…/hooks/<session id>`); its metrics exports go under it, at METRICS_PATH. */
  url: string;
  /** Sent by the CLI in {@link HOOK_SECRET_HEADER}. */
  secret: string;
  /**
   * Whom calls are taken from: the process under the program the CLI was started as (`caller.calledFrom`) that made
   * the first one — the CLI itself, which calls before any command the agent runs. None are taken before that is known.
   */
  caller: CallerPin;
  unregister(): void;
}

interface Route extends RouteHandlers {
  secret: Buffer;
  caller: CallerPin;
}

/**
 * The worker's endpoint for Claude Code's `type: "http"` hooks, on 127.0.0.1 (an ephemeral port): each
 * session registers a route with a secret of its own; a call without the right secret is refused, and so
 * is one from another process than the session's claude (where /proc says which: every command the agent
 * runs has the secret in its environment, and could otherwise tell Mission a turn ended or a tool ran).
 */
export class HookServer {
  private readonly routes = new Map<string, Route>();
  private readonly server = agentCallServer((req, res) => void this.handle(req, res));
  private callers?: CallerCheck;

  constructor(private readonly logger: Logger) {
    // Hook calls are held while an approval is pending: never time them out here.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
  }

  async start(): Promise<void> {
    this.callers = await CallerCheck.start(this.logger, 'hooks');
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** A session's route: its hook calls go to `hook`, its claude's metrics exports to `spent`; what it has no handler for is not found. */
  register(sessionId: string, handlers: RouteHandlers): HookRoute {
    const secret = randomBytes(24).toString('base64url');
    const route: Route = { ...handlers, secret: Buffer.from(secret), caller: new CallerPin() };
    this.routes.set(sessionId, route);
    return {
      url: `http://127.0.0.1:${this.port}/hooks/${sessionId}`,
      secret,
      caller: route.caller,
      unregister: () => this.routes.delete(sessionId),
    };
  }

  private get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [, sessionId = '', under = ''] = /^\/hooks\/([\w-]+)(\/.*)?$/.exec(req.url ?? '') ?? [];
    const route = this.routes.get(sessionId);
    // A hook call at the route itself, a metrics export under it: each only where the route has a handler for it.
    const hook = under === '' ? route?.hook : undefined;
    const spent = under === METRICS_PATH ? route?.spent : undefined;
    const given = Buffer.from(String(req.headers[HOOK_SECRET_HEADER] ?? ''));
    if (
      req.method !== 'POST' ||
      !route ||
      !(hook || spent) ||
      given.length !== route.secret.length ||
      !timingSafeEqual(given, route.secret)
    )
      return void res.writeHead(404).end();
    const fromTheCli = await this.callers!.letThrough(route.caller, req, res, {
      call: spent ? "a metrics export with the session's secret" : "a hook call with the session's secret",
      refusal: "Mission takes a session's hook calls only from the session's own claude process",
      context: { sessionId },
    });
    if (!fromTheCli) return;
    if (spent) return takeMetricsExport(req, res, spent, this.logger, { sessionId });
    if (hook) return this.takeHook(hook, sessionId, req, res);
  }

  /** A hook call: answered with what its handler answers, once it does (the CLI waits for it). */
  private async takeHook(hook: HookHandler, sessionId: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    try {
      const input = parseHookInput(JSON.parse(await readBody(req)));
      const answer = await hook(input, aborted.signal);
      if (!aborted.signal.aborted) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (error) {
      this.logger.error({ err: error, sessionId }, 'hook call failed');
      // The caller is the agent's own CLI: it is told that the call failed, not why (the log has that).
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(HOOK_FAILED);
    }
  }
}
