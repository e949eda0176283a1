import { describe, expect, it } from 'vitest';
import { slotPolicyProblems } from './slotPolicy.ts';

const roots = ['/workspace', '/tmp'];
const slot = (
  over: Partial<{ cwd: string; args: string[]; env: Record<string, string>; maxConcurrency: number; warmPool: { size: number } }>,
) => ({ cwd: '/workspace/app', args: [], env: {}, ...over });

describe('slot policy (PUT /v1/slots)', () => {
  it('accepts a slot under an allowed root with ordinary flags and environment', () => {
    expect(
      slotPolicyProblems(
        slot({ args: ['--model', 'sonnet', '--add-dir', '/workspace/lib'], env: { ANTHROPIC_BASE_URL: 'http://x', FOO: '1' } }),
        roots,
      ),
    ).toEqual([]);
    expect(slotPolicyProblems(slot({ cwd: '/workspace' }), roots)).toEqual([]);
  });

  it('refuses permission-skipping flags, in either spelling', () => {
    for (const args of [
      ['--dangerously-skip-permissions'],
      ['--permission-mode', 'bypassPermissions'],
      ['--permission-mode=bypassPermissions'],
      ['--settings', '{}'],
      ['--permission-prompt-tool', 'x'],
    ]) {
      expect(slotPolicyProblems(slot({ args }), roots), args.join(' ')).toHaveLength(1);
    }
  });

  it("refuses environment that injects code or is Mission's own", () => {
    for (const name of ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'NODE_OPTIONS', 'BASH_ENV', 'MISSION_APPROVAL_SECRET']) {
      expect(slotPolicyProblems(slot({ env: { [name]: 'x' } }), roots)).toEqual([expect.stringContaining(`env: ${name} is not allowed`)]);
    }
  });

  it('refuses a cwd outside the roots, a system folder, or one that climbs out with ..', () => {
    expect(slotPolicyProblems(slot({ cwd: '/proc/self' }), ['/'])).toEqual(['cwd: /proc/self is a system folder']);
    expect(slotPolicyProblems(slot({ cwd: '/etc' }), roots)).toEqual([
      'cwd: /etc is not under an allowed root (/workspace, /tmp; MISSION_SLOT_ROOTS)',
    ]);
    expect(slotPolicyProblems(slot({ cwd: '/workspace/../etc' }), roots)).toHaveLength(1);
    expect(slotPolicyProblems(slot({ cwd: '/workspaces' }), roots)).toHaveLength(1);
  });

  it('refuses a warm pool larger than the slot may ever run at once', () => {
    expect(slotPolicyProblems(slot({ maxConcurrency: 2, warmPool: { size: 3 } }), roots)).toEqual([
      'warmPool: size 3 is more than maxConcurrency 2 (agents that could never all be used)',
    ]);
    expect(slotPolicyProblems(slot({ maxConcurrency: 2, warmPool: { size: 2 } }), roots)).toEqual([]);
    expect(slotPolicyProblems(slot({ warmPool: { size: 16 } }), roots)).toEqual([]);
  });
});
