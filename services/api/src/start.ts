import type { CoreRuntime } from '@mission/core';
import { ConfigError } from '@mission/store';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './server.ts';

/** Mounts more routes on the API before it listens (the composition root adds MCP this way). */
export type ApiExtension = (app: FastifyInstance) => Promise<void>;

/** Syncs slots.yaml, permissions.yaml and notifications.yaml, builds the server, mounts the extensions and listens on the configured host and port. */
export async function startApi(core: CoreRuntime, extensions: ApiExtension[] = []): Promise<FastifyInstance> {
  const { synced, fromFile } = await core.slots.syncFromFile(core.config.slotsFile, process.cwd());
  core.logger.info({ slots: synced, file: fromFile ? core.config.slotsFile : null }, fromFile ? 'slots synced from file' : 'no slots file');
  const roles = await core.roles.syncFromFile(core.config.permissionsFile);
  core.logger.info(
    { changed: roles ?? [], file: roles ? core.config.permissionsFile : null },
    roles ? 'roles synced from file' : 'no permissions file',
  );
  const subscriptions = await core.notifications.subscriptions.syncFromFile(core.config.notificationsFile);
  core.logger.info(
    { subscriptions: subscriptions ?? [], file: subscriptions ? core.config.notificationsFile : null },
    subscriptions ? 'notification subscriptions synced from file' : 'no notifications file',
  );
  const app = await buildServer(core);
  for (const extend of extensions) await extend(app);
  const { host, port } = core.config;
  await app.listen({ host, port }).catch(async (error: NodeJS.ErrnoException) => {
    await app.close();
    if (error.code !== 'EADDRINUSE') throw error;
    throw new ConfigError([
      `PORT: ${host}:${port} is taken (another Mission, or another server, listens there): stop it, or set PORT to a free port`,
    ]);
  });
  return app;
}
