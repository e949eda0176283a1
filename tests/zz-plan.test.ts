import type { MissionEvent, Session, SessionScreen, SessionTurn } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';

describe('probe: ExitPlanMode', () => {
  let bed: ClaudeTestBed;
  let replies: Record<string, StubReply[]>;
  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
  });
  afterAll(async () => {
    await bed?.close();
  });
  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  it('probe', async () => {
    replies['plan it'] = [{ text: 'Let me plan.', toolUses: [{ id: 'toolu_enter', name: 'EnterPlanMode', input: {} }] }, { text: 'Here is my plan.', toolUses: [{ id: 'toolu_plan', name: 'ExitPlanMode', input: { plan: '1. Do A\n2. Do B' } }] }, { text: 'Plan approved, starting.' }];
    const session = (await call<Session>('POST', '/v1/sessions', { slot: 'default' })).body;
    console.log('SESSION', JSON.stringify(session).slice(0, 200));
    const asked = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/send`, { text: 'plan it', timeoutMs: 20_000 });
    console.log('SEND', asked.status, JSON.stringify(asked.body).slice(0, 800));
    const screen = (await call<SessionScreen>('GET', `/v1/sessions/${session.id}/screen?format=json`)).body;
    console.log('SCREEN\n' + screen.lines.join('\n'));
    for (let k = 0; k < 3 && (await call<Session>('GET', `/v1/sessions/${session.id}`)).body.state === 'waiting_permission'; k++) {
      const c = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/confirm`, { choice: 'yes', timeoutMs: 15_000 });
      console.log('CONFIRM', c.status, JSON.stringify(c.body).slice(0, 500));
      const screen2 = (await call<SessionScreen>('GET', `/v1/sessions/${session.id}/screen?format=json`)).body;
      console.log('SCREEN2\n' + screen2.lines.slice(-8).join('\n'));
    }
    console.log('RESULTS', JSON.stringify(bed.stub.requests.flatMap((r) => r.toolResults)));
    const log = await bed.system.core.events.list(session.id, 0, { limit: 1000 });
    for (const e of log as MissionEvent[]) if (!['title', 'status'].includes(e.type)) console.log('EVENT', e.type, JSON.stringify(e.payload).slice(0, 200));
  }, 120_000);
});
