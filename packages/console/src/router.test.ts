import { describe, expect, it } from 'vitest';
import { href, parseRoute, type Route } from './router.ts';

describe('console router', () => {
  it('reads every view from the hash', () => {
    expect(parseRoute('')).toEqual({ view: 'overview' });
    expect(parseRoute('#/')).toEqual({ view: 'overview' });
    expect(parseRoute('#/sessions')).toEqual({ view: 'sessions' });
    expect(parseRoute('#/sessions/ses_1')).toEqual({ view: 'session', id: 'ses_1' });
    expect(parseRoute('#/tasks?status=failed&slot=default')).toEqual({
      view: 'tasks',
      status: 'failed',
      slot: 'default',
      cursor: undefined,
    });
    expect(parseRoute('#/tasks/task_1')).toEqual({ view: 'task', id: 'task_1' });
    expect(parseRoute('#/approvals')).toEqual({ view: 'approvals' });
    expect(parseRoute('#/audit?kind=receipt&subject=ses_1')).toEqual({
      view: 'audit',
      kind: 'receipt',
      actor: undefined,
      subject: 'ses_1',
    });
  });

  it('names what it does not know', () => {
    expect(parseRoute('#/nope')).toEqual({ view: 'not_found', path: '/nope' });
    expect(parseRoute('#/sessions/a/b')).toEqual({ view: 'not_found', path: '/sessions/a/b' });
    expect(parseRoute('#/approvals/x')).toEqual({ view: 'not_found', path: '/approvals/x' });
  });

  it('href is the inverse of parseRoute', () => {
    const routes: Route[] = [
      { view: 'overview' },
      { view: 'sessions' },
      { view: 'session', id: 'ses_a/b' },
      { view: 'tasks', status: 'running', slot: undefined, cursor: 'c1' },
      { view: 'tasks', status: undefined, slot: undefined, cursor: undefined },
      { view: 'task', id: 'task_1' },
      { view: 'approvals' },
      { view: 'audit', kind: 'role_rollback', actor: 'token:me', subject: undefined },
      { view: 'audit', kind: undefined, actor: undefined, subject: undefined },
    ];
    for (const route of routes) expect(parseRoute(href(route))).toEqual(route);
  });
});
