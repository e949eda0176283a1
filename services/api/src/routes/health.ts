import type { CoreRuntime } from '@mission/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const PING_TIMEOUT_MS = 2_000;

const checkResult = z.object({ ok: z.boolean(), error: z.string().optional() });

export const healthRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: Redis and Postgres answer',
        response: {
          200: z.object({ status: z.string(), checks: z.record(z.string(), checkResult) }),
          503: z.object({ status: z.string(), checks: z.record(z.string(), checkResult) }),
        },
      },
    },
    async (_request, reply) => {
      const [redis, postgres] = await Promise.all([
        check(async () => {
          await core.redis.ping();
        }),
        check(() => core.database.ping()),
      ]);
      const ready = redis.ok && postgres.ok;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { redis, postgres } });
    },
  );
};

async function check(probe: () => Promise<void>): Promise<z.infer<typeof checkResult>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
