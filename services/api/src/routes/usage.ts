import { activityTimeline, assertMayReadTree, type CoreRuntime, dailySpend, treeUsage, usageReport } from '@mission/core';
import {
  activityQuerySchema,
  activitySchema,
  dailySpendQuerySchema,
  dailySpendSchema,
  treeUsageSchema,
  usageReportSchema,
} from '@mission/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponseSchema, errors, idParams } from './schemas.ts';

export const usageRoutes: FastifyPluginAsyncZod<{ core: CoreRuntime }> = async (app, { core }) => {
  const db = core.database.db;
  app.get(
    '/v1/usage',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags: ['fleet'],
        summary:
          "Cost and tokens per slot and in all: today (UTC; tasks submitted today, cost and tokens of the tasks that ended today) and since the start, with each slot's daily budget",
        response: { 200: usageReportSchema },
      },
    },
    async () => usageReport(db),
  );

  app.get(
    '/v1/usage/tree/:id',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags: ['fleet'],
        summary:
          "What an agent tree cost: a session or task and every session and task it started (their children too), node by node and in all, with the budget of the tree (its slot's treeBudgetUsd). A coordination's id gives the coordination's cost.",
        params: idParams,
        response: { 200: treeUsageSchema, ...errors },
      },
    },
    async (request) => {
      await assertMayReadTree(db, request.caller, request.params.id);
      return treeUsage(db, request.params.id);
    },
  );

  app.get(
    '/v1/usage/daily',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags: ['fleet'],
        summary:
          "Spend per UTC day over the last `days` days (default 30), oldest first: tasks count on the day they ended, sessions on the day their cost was last recorded; optionally one slot's",
        querystring: dailySpendQuerySchema,
        response: { 200: dailySpendSchema, 400: errorResponseSchema },
      },
    },
    async (request) => ({ days: await dailySpend(db, request.query) }),
  );

  app.get(
    '/v1/usage/activity',
    {
      config: { access: 'tasks:read' },
      schema: {
        tags: ['fleet'],
        summary:
          "Tasks started and ended per minute and the queue depth at each minute's end, over the last `minutes` minutes (default 60), oldest first; rebuilt from the task rows",
        querystring: activityQuerySchema,
        response: { 200: activitySchema, 400: errorResponseSchema },
      },
    },
    async (request) => ({ minutes: await activityTimeline(db, request.query) }),
  );
};
