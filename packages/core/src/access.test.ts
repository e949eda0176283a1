import type { Caller } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { AccessPolicy, assertScope } from './access.ts';

const operator: Caller = { label: 'token:ops', scopes: ['tasks:write'], key: 'ops' };
const agent: Caller = { ...operator, agent: { kind: 'session', id: 'ses_a', role: 'manager', tools: ['mission_submit'] } };
// The tool and scope checks read only the caller; the hierarchy checks (which need the database) are tested end to end.
const policy = new AccessPolicy(undefined as never);

describe('the access policy', () => {
  it('a scope is held, or included by a broader one', () => {
    expect(() => assertScope(operator, 'tasks:read')).not.toThrow();
    expect(() => assertScope(operator, 'sessions:read')).toThrow("this needs the 'sessions:read' scope; the token has tasks:write");
  });

  it('a tool needs its scope, and for an agent a place among its role tools first', () => {
    expect(() => policy.tool(operator, 'mission_pty_kill', 'tasks:write')).not.toThrow();
    expect(() => policy.tool(operator, 'mission_approve', 'approvals:write')).toThrow("needs the 'approvals:write' scope");
    expect(() => policy.tool(agent, 'mission_submit', 'tasks:write')).not.toThrow();
    expect(() => policy.tool(agent, 'mission_pty_kill', 'approvals:write')).toThrow(
      "forbidden: role 'manager' does not allow mission_pty_kill",
    );
  });

  it('an operator commands and reads every session and task without a look at the hierarchy', async () => {
    await expect(policy.commandSession(operator, 'ses_x')).resolves.toBeUndefined();
    await expect(policy.readSession(operator, 'ses_x')).resolves.toBeUndefined();
    await expect(policy.readTask(operator, { id: 'task_x', parentId: 'ses_y' })).resolves.toBeUndefined();
  });
});
