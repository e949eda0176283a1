import { type AuditEntry, EMPTY_ROLE_RULES, type Role } from '@mission/contracts';
import { recordDecision, roleInForce } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from './support/system.ts';

/** Role versions (drafts, activation, rollback) and the audit trail over everything governed, on real Postgres. */
describe('governance: role drafts and rollback, the audit trail', () => {
  let system: TestSystem;
  const call = <T>(method: string, route: string, body?: unknown) => system.call<T>(method, route, body);
  const audit = async (query: string) => (await call<{ entries: AuditEntry[] }>('GET', `/v1/audit?${query}`)).body.entries;

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
  });
  afterAll(async () => {
    await system?.close();
  });

  it('a draft is saved without taking effect, activated later; a rollback puts an earlier version back in force', async () => {
    expect((await call<Role>('PUT', '/v1/roles/ops', { allow: ['Read'] })).body).toMatchObject({ version: 1, active: true, draft: false });
    expect((await call<Role>('PUT', '/v1/roles/ops', { allow: ['Read', 'Bash(npm test:*)'] })).body).toMatchObject({
      version: 2,
      active: true,
    });
    const draft = await call<Role>('PUT', '/v1/roles/ops?draft=true', { allow: ['Read', 'Bash'], actionClasses: { deploy: 'gated' } });
    expect(draft.body).toMatchObject({ version: 3, draft: true, active: false, activatedAt: null });

    // The draft is not in force: the API and the workers (roleInForce) still see version 2.
    expect((await call<Role>('GET', '/v1/roles/ops')).body).toMatchObject({ version: 2, allow: ['Read', 'Bash(npm test:*)'] });
    expect(await roleInForce(system.core.database.db, 'ops')).toMatchObject({ version: 2 });

    const activated = await call<Role>('POST', '/v1/roles/ops/versions/3/activate');
    expect(activated.body).toMatchObject({ version: 3, draft: false, active: true, activatedBy: 'token:test-admin' });
    expect(await roleInForce(system.core.database.db, 'ops')).toMatchObject({ version: 3, rules: { allow: ['Read', 'Bash'] } });

    const rolledBack = await call<Role>('POST', '/v1/roles/ops/rollback', { version: 1 });
    expect(rolledBack.body).toMatchObject({ version: 1, active: true, allow: ['Read'] });
    expect(await roleInForce(system.core.database.db, 'ops')).toMatchObject({ version: 1, rules: { allow: ['Read'] } });
    expect((await call<{ roles: Role[] }>('GET', '/v1/roles')).body.roles.find((r) => r.name === 'ops')).toMatchObject({ version: 1 });
    const versions = (await call<{ versions: Role[] }>('GET', '/v1/roles/ops/versions')).body.versions;
    expect(versions.map((v) => [v.version, v.active, v.draft])).toEqual([
      [3, false, false],
      [2, false, false],
      [1, true, false],
    ]);

    // A new version written after a rollback is in force at once, numbered after the newest.
    expect((await call<Role>('PUT', '/v1/roles/ops', { allow: ['Read', 'Grep'] })).body).toMatchObject({ version: 4, active: true });

    const missing = await call<{ error: { message: string } }>('POST', '/v1/roles/ops/rollback', { version: 9 });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe("role 'ops' has no version 9 (its versions are 1 to 4)");
    expect((await call('POST', '/v1/roles/nobody/rollback', { version: 1 })).status).toBe(404);

    const entries = await audit('kind=role_changed,role_activated,role_rollback');
    expect(entries.filter((e) => e.target === 'ops').map((e) => [e.kind, e.actor, e.details.version])).toEqual([
      ['role_changed', 'token:test-admin', 4],
      ['role_rollback', 'token:test-admin', 1],
      ['role_activated', 'token:test-admin', 3],
      ['role_changed', 'token:test-admin', 3],
      ['role_changed', 'token:test-admin', 2],
      ['role_changed', 'token:test-admin', 1],
    ]);
    expect(entries.find((e) => e.kind === 'role_rollback')!.details).toEqual({ version: 1, previousVersion: 3 });
  });

  it('slots, tokens and permission decisions are in the trail, filtered by actor, subject, kind and time', async () => {
    const start = new Date().toISOString();
    await call('PUT', '/v1/slots/audited', { cwd: '/tmp', env: { SECRET_KEY: 'do-not-log' } });
    const created = await call<{ info: { id: string } }>('POST', '/v1/tokens', { name: 'ci', scopes: ['tasks:write'] });
    await call('POST', `/v1/tokens/${created.body.info.id}/revoke`);
    const task = (await system.core.tasks.submit({ slot: 'default', prompt: 'audited' })).task;
    await recordDecision(system.core.database.db, system.core.events, {
      owner: { kind: 'task', id: task.id },
      use: { tool: 'Bash', input: { command: 'npm test' } },
      decision: 'allow',
      by: 'policy',
      role: {
        name: 'default',
        version: 0,
        rules: EMPTY_ROLE_RULES,
      },
      rule: 'Bash(npm test:*)',
    });

    const mine = await audit(`actor=token:test-admin&since=${encodeURIComponent(start)}`);
    expect(mine.map((e) => [e.kind, e.target])).toEqual([
      ['token_revoked', created.body.info.id],
      ['token_created', created.body.info.id],
      ['slot_changed', 'audited'],
    ]);
    expect(JSON.stringify(mine)).not.toContain('do-not-log');
    expect(await audit(`subject=${task.id}`)).toEqual([
      expect.objectContaining({
        kind: 'permission_decision',
        actor: 'policy',
        subject: task.id,
        target: 'Bash',
        details: expect.objectContaining({ decision: 'allow', rule: 'Bash(npm test:*)' }),
      }),
    ]);
    expect(await audit(`until=${encodeURIComponent(start)}&kind=slot_changed`)).toEqual([
      expect.objectContaining({ target: 'default', actor: 'default' }),
    ]);
    expect((await audit('limit=2')).length).toBe(2);
    // Subscriptions: who changed or deleted them, without their URL (a Slack webhook's URL is its credential).
    const sub = await call<{ id: string }>('POST', '/v1/notifications', {
      name: 'audited',
      url: 'https://hooks.slack.com/services/T/B/SECRET',
      format: 'slack',
      events: ['task_failed'],
    });
    await call('DELETE', `/v1/notifications/${sub.body.id}`);
    const subscriptionTrail = await audit('kind=notification_changed,notification_deleted');
    expect(subscriptionTrail.map((e) => [e.kind, e.actor, e.target])).toEqual([
      ['notification_deleted', 'token:test-admin', sub.body.id],
      ['notification_changed', 'token:test-admin', sub.body.id],
    ]);
    expect(JSON.stringify(subscriptionTrail)).not.toContain('SECRET');

    const bad = await call<{ error: { message: string } }>('GET', '/v1/audit?kind=everything');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('kind');
  });
});
