import { newId } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionGuard } from '../services/worker/src/permissions/permissionGuard.ts';
import { DATABASE_QUESTION } from './support/questions.ts';
import { ADMIN, startTestSystem, type TestSystem, approvalStoreOf } from './support/system.ts';

/**
 * A task's question (AskUserQuestion) as the worker's guard takes it, with the real role and approval stores: it
 * always waits for a person, whatever a role allows (an answer is what it needs, not a permission), and a role that
 * forbids it refuses it even if the CLI offered the tool.
 */
describe("the guard of a task's question", () => {
  let system: TestSystem;
  let guard: PermissionGuard;

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
    await system.core.roles.put('asks-freely', { allow: ['AskUserQuestion'] }, 'test');
    await system.core.roles.put('never-asks', { deny: ['AskUserQuestion'] }, 'test');
    const { core } = system;
    const approvals = approvalStoreOf(system);
    guard = new PermissionGuard({ db: core.database.db, events: core.events, approvals, approvalTimeoutMs: 60_000, logger: core.logger });
  });
  afterAll(() => system?.close());

  const ask = (role: string, onApprovalPending?: (approval: { id: string }) => void) =>
    guard.ask({
      owner: { kind: 'task', id: newId('task') },
      slot: { id: role, role, cwd: '/workspace', home: '/home/mission-agent' },
      use: { tool: 'AskUserQuestion', input: { questions: [DATABASE_QUESTION] } },
      onApprovalPending,
    });

  it('waits for the answers even where the role allows the tool, and gives them with the allow', async () => {
    const answer = await ask('asks-freely', (approval) => {
      void system.core.approvals.approve(approval.id, { answers: [{ option: '2' }] }, 'test');
    });
    expect(answer).toEqual({ decision: 'allow', answers: { 'Which database should we use?': 'SQLite' } });
  });

  it('is refused by a role that forbids it, with no approval asked', async () => {
    let asked = false;
    const answer = await ask('never-asks', () => {
      asked = true;
    });
    expect(answer).toMatchObject({ decision: 'deny', reason: expect.stringContaining("role 'never-asks' forbids it") });
    expect(asked).toBe(false);
    expect((await system.core.approvals.list({ status: 'pending' }, ADMIN)).filter((a) => a.role === 'never-asks')).toEqual([]);
  });
});
