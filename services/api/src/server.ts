import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { CoreRuntime } from '@mission/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { registerAuth, type RouteEntry } from './auth.ts';
import { BULL_BOARD_PATH, registerBullBoard } from './bullBoard.ts';
import { frameworkErrorHandler, registerErrorHandling } from './errorHandler.ts';
import { limitJsonDepth } from './jsonBodies.ts';
import { approvalLinkRoutes } from './routes/approvalLinks.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { attachRoutes } from './routes/attach.ts';
import { auditRoutes } from './routes/audit.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { receiptRoutes } from './routes/receipts.ts';
import { consoleRoutes } from './routes/console.ts';
import { coordinateRoutes } from './routes/coordinate.ts';
import { messageRoutes } from './routes/messages.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { ccRoutes } from './routes/cc.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { roleRoutes } from './routes/roles.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { slotRoutes } from './routes/slots.ts';
import { taskRoutes } from './routes/tasks.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { usageRoutes } from './routes/usage.ts';
import { ShutdownCuts } from './shutdownCuts.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with who may call it (extensions' routes included once they are mounted). */
    routeAccess: RouteEntry[];
    /** What the API cuts as it shuts down: event streams, connections no request came on. */
    shutdownCuts: ShutdownCuts;
  }
}

const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Builds the REST API on a core runtime; the caller listens (or injects, in tests). */
export async function buildServer(core: CoreRuntime): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: core.logger.child({ service: 'api' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // request.ip (failed sign-ins are counted per address) from X-Forwarded-For only behind a trusted proxy.
    trustProxy: core.config.trustProxy,
    frameworkErrors: frameworkErrorHandler(core.logger),
  });
  registerErrorHandling(app, core.logger);
  limitJsonDepth(app);
  // Before auth: its onRequest hook must see WebSocket upgrades first, or a refused one is left open.
  await app.register(websocket);
  app.decorate('routeAccess', registerAuth(app, core));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Mission API', version: '0.1.0', description: 'Run, watch and steer fleets of Claude Code agents.' },
    },
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      return input.url.startsWith(BULL_BOARD_PATH) ? { ...transformed, schema: { ...transformed.schema, hide: true } } : transformed;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Requests waiting on a session or a task (a send or an ask can wait minutes) must not hold the shutdown up, nor
  // event streams or connections no request came on.
  app.decorate('shutdownCuts', new ShutdownCuts(app.server));
  app.addHook('preClose', async () => {
    core.cancelWaits('the API is shutting down');
    app.shutdownCuts.cut();
  });
  await app.register(attachRoutes, { core });

  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    await api.register(healthRoutes, { core });
    await api.register(taskRoutes, { core });
    await api.register(slotRoutes, { core });
    await api.register(sessionRoutes, { core });
    await api.register(messageRoutes, { core });
    await api.register(coordinateRoutes, { core });
    await api.register(fleetRoutes, { core });
    await api.register(ccRoutes, { core });
    await api.register(metricsRoutes, { core });
    await api.register(usageRoutes, { core });
    await api.register(approvalRoutes, { core });
    await api.register(approvalLinkRoutes, { core });
    await api.register(roleRoutes, { core });
    await api.register(tokenRoutes, { core });
    await api.register(notificationRoutes, { core });
    await api.register(receiptRoutes, { core });
    await api.register(auditRoutes, { core });
    await api.register(consoleRoutes, { core });
  });
  await registerBullBoard(app, [core.taskQueue, core.sessionQueue]);
  return app;
}
