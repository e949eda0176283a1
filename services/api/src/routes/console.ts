import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { CoreRuntime } from '@mission/core';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TOKEN_COOKIE } from '../auth.ts';
import { errorResponseSchema } from './schemas.ts';

const tags = ['console'];
/** The console's built files are hashed by name, so a browser may keep them for good. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3_600_000;
/** Only the console's own files, API calls and WebSocket to this origin; xterm.js sets inline styles. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * The web console: the files `npm run build` writes to packages/console/dist, served at `/` (the API
 * never imports the console's code), and the login that keeps the API token in an HttpOnly cookie.
 * `dist` is where the built files are (default: found from the @mission/console package).
 */
export const consoleRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime; dist?: string }> = async (app, { core, dist = consoleDist() }) => {
  await app.register(fastifyStatic, { root: dist, serve: false, suppressWarning: true });

  app.get('/', { config: { access: 'public' }, schema: { tags, summary: 'The web console' } }, async (_request, reply) => {
    if (!fs.existsSync(path.join(dist, 'index.html'))) {
      return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    return reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('cache-control', 'no-cache')
      .sendFile('index.html', { cacheControl: false });
  });

  app.get<{ Params: { '*': string } }>(
    '/assets/*',
    { config: { access: 'public' }, schema: { tags, summary: "The console's scripts and styles", hide: true } },
    async (request, reply) => reply.sendFile(path.posix.join('assets', request.params['*']), { maxAge: ASSET_MAX_AGE_MS, immutable: true }),
  );

  app.post(
    '/login',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: "Check an API token and keep it in the console's cookie (HttpOnly, SameSite=Strict)",
        body: z.strictObject({ token: z.string().trim().min(1, 'token must not be empty').max(500) }),
        response: {
          200: z.object({ caller: z.string(), scopes: z.array(z.string()) }),
          400: errorResponseSchema,
          401: errorResponseSchema,
          429: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const caller = await app.signIn(request, request.body.token);
      reply.header('set-cookie', tokenCookie(request.body.token, { secure: cameOverHttps(request) }));
      return { caller: caller.label, scopes: [...caller.scopes] };
    },
  );

  app.get(
    '/console/auth',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Whether the API asks for a token (MISSION_AUTH): the console offers "Sign out" only then',
        response: { 200: z.object({ auth: z.boolean() }) },
      },
    },
    async () => ({ auth: core.config.auth }),
  );

  app.post('/logout', { config: { access: 'public' }, schema: { tags, summary: "Forget the console's cookie" } }, async (request, reply) =>
    reply
      .header('set-cookie', tokenCookie('', { secure: cameOverHttps(request), expire: true }))
      .status(204)
      .send(),
  );
};

/**
 * Whether the browser reached us over HTTPS: directly, or through a proxy that terminated TLS and
 * says so in X-Forwarded-Proto. Trusting the header is safe here: it can only add `Secure`, which a
 * browser on plain HTTP would refuse, breaking nobody's login but the sender's.
 */
function cameOverHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return request.protocol === 'https' || first === 'https';
}

/** The `mission_token` cookie: never readable by scripts, never sent by other sites. */
function tokenCookie(token: string, options: { secure: boolean; expire?: boolean }): string {
  return [
    `${TOKEN_COOKIE}=${encodeURIComponent(token)}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    ...(options.secure ? ['Secure'] : []),
    ...(options.expire ? ['Max-Age=0'] : []),
  ].join('; ');
}

/** packages/console/dist, found from where the @mission/console package is installed. */
function consoleDist(): string {
  const manifest = createRequire(import.meta.url).resolve('@mission/console/package.json');
  return path.join(path.dirname(manifest), 'dist');
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mission console not built</title>
<style>body{font:16px system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#f4f4f4;padding:.1rem .3rem}</style></head>
<body><h1>The console is not built</h1>
<p><code>packages/console/dist</code> is missing: run <code>npm run build</code> in the repository, then reload this page.</p>
<p>The API itself works: see <a href="/docs">/docs</a>.</p></body></html>`;
