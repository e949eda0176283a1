import type { CoreRuntime } from '@mission/core';
import type { Logger } from '@mission/store';
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
        check(core.logger, 'Redis', async () => {
          await core.redis.ping();
        }),
        check(core.logger, 'Postgres', () => core.database.ping()),
      ]);
      const ready = redis.ok && postgres.ok;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { redis, postgres } });
    },
  );
};

/**
 * Whether `service` answers its ping within PING_TIMEOUT_MS. The route is public: a failure is told in Mission's
 * words (the driver's message, which may name hosts, ports and users, goes to the log).
 */
async function check(logger: Logger, service: string, probe: () => Promise<void>): Promise<z.infer<typeof checkResult>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), PING_TIMEOUT_MS);
  });
  try {
    if ((await Promise.race([probe(), timeout])) !== 'late') return { ok: true };
    logger.warn({ service, timeoutMs: PING_TIMEOUT_MS }, 'readiness: no answer in time');
    return { ok: false, error: `${service} did not answer within ${PING_TIMEOUT_MS} ms` };
  } catch (error) {
    logger.warn({ err: error, service }, 'readiness: the ping failed');
    return { ok: false, error: `${service} is unreachable` };
  } finally {
    clearTimeout(timer);
  }
}
