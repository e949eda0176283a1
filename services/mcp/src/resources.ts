import type { CoreRuntime } from '@mission/core';
import { MissionError, type Scope } from '@mission/contracts';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { authorize } from './caller.ts';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/** How often subscribed resources are re-read to notice a change. */
const WATCH_INTERVAL_MS = 1_000;

/** The resources and how to read each, as JSON. */
function readers(core: CoreRuntime): Record<string, { name: string; description: string; scope: Scope; read: () => Promise<unknown> }> {
  return {
    'mission://sessions': {
      name: 'sessions',
      description: 'The 200 newest interactive sessions with their state, slot and owning worker.',
      scope: 'sessions:read',
      read: async () => ({ sessions: await core.sessions.list({ limit: 200 }) }),
    },
    'mission://status': {
      name: 'status',
      description: 'Fleet counts: tasks by status, sessions by state, per slot and per worker, and queue depths.',
      scope: 'tasks:read',
      read: () => core.overview(),
    },
  };
}

/** The resources show the whole fleet: operators only; an agent reads its own sessions with its tools. */
function authorizeOperator(extra: Parameters<typeof authorize>[0], scope: Scope): void {
  if (authorize(extra, scope).agent)
    throw new MissionError(
      'forbidden',
      "forbidden: Mission's resources are for operators; an agent lists the sessions it started with mission_sessions",
    );
}

/**
 * `mission://sessions` and `mission://status`. A client that subscribes to one gets
 * `notifications/resources/updated` when its content changes: checked every second while anything
 * is subscribed, by a timer that runs only then. Returns the function that stops watching (when the
 * connection closes or its session expires).
 */
export function registerResources(server: McpServer, core: CoreRuntime): () => void {
  const resources = readers(core);
  for (const [uri, resource] of Object.entries(resources)) {
    server.registerResource(
      resource.name,
      uri,
      { description: resource.description, mimeType: 'application/json' },
      async (_uri, extra) => {
        authorizeOperator(extra, resource.scope);
        return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(await resource.read(), null, 2) }] };
      },
    );
  }
  /** The subscribed resources with the content last seen. */
  const watched = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      for (const [uri, last] of watched) {
        const now = JSON.stringify(await resources[uri]!.read());
        if (now === last || !watched.has(uri)) continue;
        watched.set(uri, now);
        await server.server.sendResourceUpdated({ uri });
      }
    } catch (error) {
      core.logger.warn({ err: error }, 'MCP resource watch failed');
    } finally {
      checking = false;
    }
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };

  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: false } });
  server.server.setRequestHandler(SubscribeRequestSchema, async ({ params }, extra) => {
    const resource = resources[params.uri];
    if (!resource) return {};
    authorizeOperator(extra, resource.scope);
    watched.set(params.uri, JSON.stringify(await resource.read()));
    if (!timer) {
      timer = setInterval(() => void check(), WATCH_INTERVAL_MS);
      timer.unref();
    }
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async ({ params }) => {
    watched.delete(params.uri);
    if (watched.size === 0) stop();
    return {};
  });
  return () => {
    watched.clear();
    stop();
  };
}
