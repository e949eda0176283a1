import type { Session } from '@mission/contracts';
import { describe, expect, it } from 'vitest';
import { assertAgentMayUse, sessionTree } from './hierarchy.ts';

const session = (id: string, parentId: string | null): Session => ({
  id,
  slot: 'default',
  state: 'idle',
  parentId,
  temporary: false,
  ownerWorker: 'w1',
  claudeSessionId: null,
  driver: 'hooks',
  blocking: null,
  workspaceBranch: null,
  exitCode: null,
  exitSignal: null,
  exitReason: null,
  costUsd: null,
  usage: null,
  cols: 120,
  rows: 40,
  createdAt: '2026-11-25T00:00:00.000Z',
  endedAt: null,
});

describe('sessionTree', () => {
  it('nests sessions under their parents, keeps the order, and makes orphans roots', () => {
    const tree = sessionTree([session('c2', 'b'), session('b', 'a'), session('c1', 'b'), session('a', null), session('x', 'gone')]);
    const shape = (nodes: ReturnType<typeof sessionTree>): unknown =>
      nodes.map((n) => (n.children.length ? { [n.id]: shape(n.children) } : n.id));
    expect(shape(tree)).toEqual([{ a: [{ b: ['c2', 'c1'] }] }, 'x']);
  });
});

describe('assertAgentMayUse', () => {
  const caller = { label: 'token:session:ses_1', scopes: [], key: 'tok_1' };
  it("lets operators call anything and agents only their role's tools", () => {
    expect(() => assertAgentMayUse(caller, 'mission_approve')).not.toThrow();
    const agent = { ...caller, agent: { kind: 'session' as const, id: 'ses_1', role: 'manager', tools: ['mission_pty_spawn'] } };
    expect(() => assertAgentMayUse(agent, 'mission_pty_spawn')).not.toThrow();
    expect(() => assertAgentMayUse(agent, 'mission_pty_kill')).toThrow(
      "forbidden: role 'manager' does not allow mission_pty_kill (its Mission tools: mission_pty_spawn)",
    );
    expect(() => assertAgentMayUse({ ...agent, agent: { ...agent.agent, tools: [] } }, 'mission_pty_spawn')).toThrow(
      '(its Mission tools: none)',
    );
  });
});
