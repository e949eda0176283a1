import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, openDatabase, tables } from '@mission/store';
import { type MissionWorker, startWorker } from '@mission/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../packages/cli/src/privateRedis.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { unusedPort } from './support/ports.ts';
import { waitUntil } from './support/processes.ts';
import { startTestSystem, type TestSystem } from './support/system.ts';
import { startTcpProxy, type TcpProxy } from './support/tcpProxy.ts';

/** What a request may take while Redis is down: it fails fast, it does not hang for the outage. */
const FAIL_FAST_MS = 2_000;
/** The Postgres outage a live worker must survive, well past its timeout below. */
const PG_CUT_MS = 10_000;

describe('faults: Redis and Postgres outages (under CPU load)', () => {
  let stopLoad: () => Promise<void>;
  beforeAll(() => {
    stopLoad = startCpuLoad();
  });
  afterAll(async () => {
    await stopLoad?.();
  });

  describe('Redis down', () => {
    let redis: PrivateRedis;
    let port: number;
    let dataDir: string;
    let system: TestSystem;

    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-redis-'));
      port = await unusedPort();
      redis = await startPrivateRedis(dataDir, port);
      system = await startTestSystem({ inProcessWorker: false, env: { REDIS_URL: redis.url } });
    }, 60_000);
    afterAll(async () => {
      await system?.close();
      await redis?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const timed = async (route: string, init?: RequestInit) => {
      const started = performance.now();
      const res = await system.fetch(route, init);
      const body = (await res.json()) as { error?: { code: string; message: string } };
      return { status: res.status, body, ms: performance.now() - started };
    };

    it(`requests answer 503 within ${FAIL_FAST_MS} ms while Redis is down, and work again once it is back`, async () => {
      expect((await timed('/v1/tasks')).status).toBe(200);
      await redis.stop();
      const submit = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ slot: 'none', prompt: 'hi' }),
      };
      for (const [route, init] of [['/v1/tasks'], ['/v1/sessions'], ['/v1/tasks', submit], ['/v1/approvals']] as const) {
        const answer = await timed(route, init);
        expect(answer.status, `${init?.method ?? 'GET'} ${route}`).toBe(503);
        expect(answer.body.error).toEqual({
          code: 'unavailable',
          message: 'Redis is unreachable: Mission cannot take this request now; retry shortly',
        });
        expect(answer.ms, `${init?.method ?? 'GET'} ${route} took ${Math.round(answer.ms)} ms`).toBeLessThan(FAIL_FAST_MS);
      }
      const ready = await fetch(`${system.url}/readyz`);
      expect(ready.status).toBe(503);
      // Public: it says which service is out in Mission's words, never the driver's (hosts, ports, users).
      const { checks } = (await ready.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
      expect(checks.postgres).toEqual({ ok: true });
      expect(['Redis is unreachable', 'Redis did not answer within 2000 ms']).toContain(checks.redis?.error);
      redis = await startPrivateRedis(dataDir, port);
      await waitUntil(async () => (await timed('/v1/tasks')).status === 200, 20_000, 'requests to work again after Redis is back');
    }, 60_000);
  });

  describe('Postgres cut off from a worker', () => {
    let system: TestSystem;
    let proxy: TcpProxy;
    let worker: MissionWorker;
    let closeWorkerDb: () => Promise<void>;

    beforeAll(async () => {
      // The API (and its sweep for lost workers) reaches Postgres directly; the worker through a proxy that is cut.
      system = await startTestSystem({ inProcessWorker: false, env: { MISSION_HEARTBEAT_MS: '500', MISSION_WORKER_TIMEOUT_MS: '3000' } });
      const direct = new URL(system.config.databaseUrl!);
      proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const viaProxy = new URL(direct);
      viaProxy.port = String(proxy.port);
      const database = await openDatabase({ url: viaProxy.toString(), dataDir: system.config.dataDir });
      closeWorkerDb = () => database.close();
      worker = await startWorker({
        config: { ...system.config, workerId: 'w-cut', apiUrl: system.url },
        logger: createLogger({ level: 'silent', name: 'test' }),
        database,
        redisUrl: system.config.redisUrl!,
      });
    }, 60_000);
    afterAll(async () => {
      proxy?.restore();
      await worker?.close(1_000);
      await closeWorkerDb?.();
      await proxy?.close();
      await system?.close();
    });

    const row = async () => (await system.core.database.db.select().from(tables.workers).where(eq(tables.workers.id, 'w-cut')))[0];

    it(`a worker cut off from Postgres for ${PG_CUT_MS / 1000} s, still beating to Redis, is never declared lost`, async () => {
      expect(await row()).toMatchObject({ state: 'active', lostAt: null });
      proxy.cut();
      const cutAt = Date.now();
      // The API's sweep runs every 500 ms and sees the Postgres heartbeat go stale after 3 s.
      await waitUntil(async () => Date.now() - (await row())!.heartbeatAt.getTime() > 3_000, 10_000, 'the Postgres heartbeat to go stale');
      await waitUntil(() => Date.now() - cutAt >= PG_CUT_MS, PG_CUT_MS + 1_000, 'the end of the cut');
      expect(await row()).toMatchObject({ state: 'active', lostAt: null });
      proxy.restore();
      await waitUntil(
        async () => Date.now() - (await row())!.heartbeatAt.getTime() < 2_000,
        30_000,
        'the worker to heartbeat to Postgres again',
      );
      expect(await row()).toMatchObject({ state: 'active', lostAt: null });
    }, 60_000);
  });
});
