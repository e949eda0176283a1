import os from 'node:os';
import { newId } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLauncher } from '../services/worker/src/agentProcess.ts';
import { PermissionGuard } from '../services/worker/src/permissions/permissionGuard.ts';
import { startTestSystem, type TestSystem, approvalStoreOf } from './support/system.ts';

/**
 * `~` in a role's rules is the agent's HOME — its user's, or its slot's `env.HOME` — not the worker's: the
 * worker's guard decides with the real role store, the launcher says which HOME the agent runs with.
 */
describe("~ in permission rules is the agent's HOME", () => {
  let system: TestSystem;
  let guard: PermissionGuard;
  const launcher = new AgentLauncher({
    claudeBin: 'claude',
    inheritedEnv: { HOME: os.homedir() },
    identity: { user: 'mission-agent', uid: 2000, gid: 2000, home: '/home/mission-agent' },
  });

  beforeAll(async () => {
    system = await startTestSystem({ inProcessWorker: false });
    const res = await system.fetch('/v1/roles/homebound', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ allow: ['Read', 'Edit'], deny: ['Read(~/.ssh/**)'] }),
    });
    expect(res.status).toBe(200);
    const { core } = system;
    const approvals = approvalStoreOf(system);
    guard = new PermissionGuard({ db: core.database.db, events: core.events, approvals, approvalTimeoutMs: 1_000, logger: core.logger });
  });
  afterAll(() => system?.close());

  const refused = async (slotEnv: Record<string, string>, file: string) => {
    const slot = { id: 'homebound', role: 'homebound', cwd: '/workspace/homebound', ...launcher.agentPlaces('homebound', slotEnv) };
    const answer = await guard.refusal({
      owner: { kind: 'task', id: newId('task') },
      slot,
      use: { tool: 'Read', input: { file_path: file } },
    });
    return answer?.decision === 'deny';
  };

  it("is the agent user's home when the slot names none", async () => {
    expect(launcher.agentPlaces('homebound', {})).toEqual({ home: '/home/mission-agent' });
    expect(await refused({}, '/home/mission-agent/.ssh/id_ed25519')).toBe(true);
    expect(await refused({}, '~/.ssh/id_ed25519')).toBe(true);
    // The worker's own home is not the agent's: the rule does not name it (other rules and the kernel guard it).
    expect(await refused({}, `${os.homedir()}/.ssh/id_ed25519`)).toBe(os.homedir() === '/home/mission-agent');
  });

  it("is the slot's env.HOME when it sets one", async () => {
    expect(launcher.agentPlaces('homebound', { HOME: '/srv/homes/homebound' })).toEqual({ home: '/srv/homes/homebound' });
    expect(await refused({ HOME: '/srv/homes/homebound' }, '/srv/homes/homebound/.ssh/config')).toBe(true);
    expect(await refused({ HOME: '/srv/homes/homebound' }, '/home/mission-agent/.ssh/config')).toBe(false);
  });

  it("guards the CLI's settings where the slot's env.CLAUDE_CONFIG_DIR moves them: a person decides a write", async () => {
    const written = async (slotEnv: Record<string, string>, file_path: string) => {
      const slot = { id: 'homebound', role: 'homebound', cwd: '/workspace/homebound', ...launcher.agentPlaces('homebound', slotEnv) };
      const withdrawn = new AbortController();
      let asked: string | undefined;
      const answer = await guard.check({
        owner: { kind: 'task', id: newId('task') },
        slot,
        use: { tool: 'Write', input: { file_path, content: '{"permissions":{"allow":["Bash"]}}' } },
        onApprovalPending: (approval) => {
          asked = approval.id;
          withdrawn.abort();
        },
        signal: withdrawn.signal,
      });
      return asked ? 'asked' : answer.decision;
    };
    const moved = { CLAUDE_CONFIG_DIR: '/srv/claude/homebound' };
    expect(await written(moved, '/srv/claude/homebound/settings.json')).toBe('asked');
    expect(await written(moved, '/srv/claude/homebound/CLAUDE.md')).toBe('allow');
    // Not moved there, it is a folder like any other (the role allows Edit): the setting is what guards it.
    expect(await written({}, '/srv/claude/homebound/settings.json')).toBe('allow');
    expect(await written({}, '/home/mission-agent/.claude/settings.json')).toBe('asked');
  });
});
