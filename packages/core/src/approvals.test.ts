import { type Caller, type PendingApproval, type Scope, type SessionTurn } from '@mission/contracts';
import { type ApprovalStore, ConfigError, createLogger } from '@mission/store';
import { describe, expect, it } from 'vitest';
import { ApprovalService } from './approvals.ts';

const options = (secret: string | undefined, auth: boolean) => ({
  store: {} as ApprovalStore,
  secret,
  auth,
  publicUrl: 'http://mission.test',
  logger: createLogger({ level: 'silent', name: 'test' }),
});

describe('approval service start-up', () => {
  it('with auth on, refuses to start on a missing, short or placeholder secret', () => {
    for (const secret of [undefined, 'change-me', 'replace-me-with-a-long-random-string', 'tooshort']) {
      expect(() => new ApprovalService(options(secret, true))).toThrow(ConfigError);
    }
    expect(() => new ApprovalService(options('change-me', true))).toThrow(/MISSION_APPROVAL_SECRET is a placeholder \('change-me'\)/);
    expect(() => new ApprovalService(options('Zq3v9Yc1mN8xR2tL6pW0bH4kJ7sD5fGa', true))).not.toThrow();
  });

  it('with auth off (a local npm start), a missing secret is a random key and starts', () => {
    expect(() => new ApprovalService(options(undefined, false))).not.toThrow();
  });
});

describe('what callers see of approvals', () => {
  const service = new ApprovalService(options('Zq3v9Yc1mN8xR2tL6pW0bH4kJ7sD5fGa', true));
  const approval = {
    id: 'appr_1',
    owner: { kind: 'session', id: 'ses_1' },
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  } as PendingApproval;
  const turn = {
    state: 'waiting_permission',
    response: null,
    dialog: null,
    approval: { ...approval, url: service.link(approval) },
  } as unknown as SessionTurn;
  const caller = (scopes: Scope[]): Caller => ({ label: 'x', scopes, key: 'x' });

  it('a session turn keeps the approval link only for a caller who may decide approvals', () => {
    expect(service.turnFor(turn, caller(['sessions:write'])).approval).toEqual(approval);
    expect(service.turnFor(turn, caller(['sessions:write', 'approvals:write'])).approval?.url).toMatch(
      /^http:\/\/mission\.test\/approvals\//,
    );
    expect(service.turnFor(turn, caller(['admin']))).toBe(turn);
  });
});
