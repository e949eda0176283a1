import type { CoreRuntime } from '@mission/core';
import { roleRulesSchema, roleSchema } from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponseSchema, errors } from './schemas.ts';

const tags = ['roles'];
const nameParams = z.object({ name: z.string().min(1).max(200) });

export const roleRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  app.get(
    '/v1/roles',
    {
      config: { access: 'approvals:read' },
      schema: { tags, summary: 'List roles with the rules in force', response: { 200: z.object({ roles: z.array(roleSchema) }) } },
    },
    async () => ({ roles: await core.roles.list() }),
  );

  app.get(
    '/v1/roles/:name',
    {
      config: { access: 'approvals:read' },
      schema: { tags, summary: "A role's rules in force", params: nameParams, response: { 200: roleSchema, ...errors } },
    },
    async (request) => core.roles.get(request.params.name),
  );

  app.get(
    '/v1/roles/:name/versions',
    {
      config: { access: 'approvals:read' },
      schema: {
        tags,
        summary: 'Every version of a role, newest first (who changed it, when)',
        params: nameParams,
        response: { 200: z.object({ versions: z.array(roleSchema) }), ...errors },
      },
    },
    async (request) => ({ versions: await core.roles.history(request.params.name) }),
  );

  app.put(
    '/v1/roles/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Set a role's allow / confirm / deny rules (a new version)",
        description:
          "Rules in Claude Code's syntax: Bash(npm test:*), Bash(rm -rf*), Edit(src/**), Read, WebFetch(domain:example.com), mcp__server__tool. Deny beats confirm beats allow; no match means confirm. Applies to the next permission request.",
        params: nameParams,
        querystring: z.strictObject({
          draft: z
            .enum(['true', 'false'])
            .default('false')
            .describe('true: save the version as a draft, put in force later (POST …/versions/:version/activate)'),
        }),
        body: roleRulesSchema,
        response: { 200: roleSchema, 400: errorResponseSchema },
      },
    },
    async (request) => core.roles.put(request.params.name, request.body, request.caller.label, { draft: request.query.draft === 'true' }),
  );

  app.post(
    '/v1/roles/:name/rollback',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Put an earlier version of a role back in force',
        params: nameParams,
        body: z.strictObject({ version: z.number().int().min(1) }),
        response: { 200: roleSchema, ...errors },
      },
    },
    async (request) => core.roles.activate(request.params.name, request.body.version, request.caller.label, 'role_rollback'),
  );

  app.post(
    '/v1/roles/:name/versions/:version/activate',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Put a version (a draft) of a role in force',
        params: nameParams.extend({ version: z.coerce.number().int().min(1) }),
        response: { 200: roleSchema, ...errors },
      },
    },
    async (request) => core.roles.activate(request.params.name, request.params.version, request.caller.label),
  );
};
