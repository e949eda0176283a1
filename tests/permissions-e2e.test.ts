import fs from 'node:fs';
import path from 'node:path';
import { type Approval, type MissionEvent, type SessionTurn, signApprovalToken } from '@mission/contracts';
import { tables } from '@mission/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { startCpuLoad } from './support/cpuLoad.ts';
import { waitUntil } from './support/processes.ts';
import { ADMIN, TEST_APPROVAL_SECRET, approvalStoreOf } from './support/system.ts';
import type { StubReply } from './support/stubAnthropic.ts';

/**
 * Roles enforced on the real claude CLI (stub API): the worker answers permission dialogs by the
 * slot's role, and a `confirm` rule holds the tool use for an approval decided over REST or a link.
 */
describe('permissions, approvals and signed links (real claude CLI)', () => {
  let bed: ClaudeTestBed;
  const json = { 'content-type': 'application/json' };
  const replies: Record<string, StubReply[]> = {};

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    let conversation = '';
    bed.stub.respond((request) => {
      if (request.tools.length === 0) return { text: 'side request' };
      // After a no, Claude reads the reason as the refused tool use's result.
      if (request.toolResults.some((result) => result.content.includes('Mission denied this')))
        return { text: 'Understood, I will leave it alone.' };
      if (request.toolResults.length === 0) conversation = request.lastUserText;
      return replies[conversation]?.shift();
    });
    const role = await call('PUT', '/v1/roles/guarded', {
      description: 'echo freely, ask before writing, never delete',
      allow: ['Bash(echo:*)'],
      confirm: ['Edit'],
      deny: ['Bash(rm -rf*)'],
    });
    expect(role.status).toBe(200);
    const slot = await call('PUT', '/v1/slots/guarded', { role: 'guarded', cwd: bed.workdir, env: bed.claude.env });
    expect(slot.status).toBe(200);
  });
  afterAll(async () => {
    await bed?.close();
  });

  async function call<T = Record<string, unknown>>(
    method: string,
    route: string,
    body?: unknown,
    auth = true,
  ): Promise<{ status: number; body: T }> {
    const init = { method, headers: body === undefined ? {} : json, body: body === undefined ? undefined : JSON.stringify(body) };
    const res = auth ? await bed.system.fetch(route, init) : await fetch(bed.system.url + route, init);
    const text = await res.text();
    return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }

  async function session(slot = 'guarded'): Promise<string> {
    const res = await call<{ id: string }>('POST', '/v1/sessions', { slot });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const events = (id: string) => bed.system.core.events.list(id, 0, { limit: 1_000 });
  const decisions = async (id: string) =>
    (await events(id))
      .filter((e): e is Extract<MissionEvent, { type: 'permission_decision' }> => e.type === 'permission_decision')
      .map((e) => e.payload);
  const pendingApprovals = async () => (await call<{ approvals: Approval[] }>('GET', '/v1/approvals?status=pending')).body.approvals;

  it("a denied Bash(rm -rf …) is refused before any dialog (Mission's PreToolUse hook, and the CLI's own settings behind it): never runs, Claude is told why", async () => {
    fs.mkdirSync(path.join(bed.workdir, 'precious'), { recursive: true });
    fs.writeFileSync(path.join(bed.workdir, 'precious', 'keep.txt'), 'keep me\n');
    replies['delete the precious folder'] = [
      { text: 'I will delete it.', toolUses: [{ name: 'Bash', input: { command: 'rm -rf precious', description: 'Delete' } }] },
    ];
    const id = await session();
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text: 'delete the precious folder' });
    expect(turn.body).toMatchObject({ state: 'idle', response: 'Understood, I will leave it alone.', approval: null });
    expect(fs.existsSync(path.join(bed.workdir, 'precious', 'keep.txt'))).toBe(true);
    expect((await events(id)).some((e) => e.type === 'permission_request')).toBe(false);
    expect(await decisions(id)).toEqual([
      {
        tool: 'Bash',
        decision: 'deny',
        by: 'policy',
        rule: 'Bash(rm -rf*)',
        reason: expect.stringContaining("role 'guarded' forbids it (rule Bash(rm -rf*))"),
      },
    ]);
    expect(
      bed.stub.requests.some((r) =>
        r.toolResults.some((result) => result.isError && result.content.includes("Mission denied this: role 'guarded' forbids it")),
      ),
    ).toBe(true);
    const audit = await bed.system.core.database.db.select().from(tables.permissionDecisions);
    expect(audit.filter((row) => row.ownerId === id)).toMatchObject([
      { decision: 'deny', by: 'policy', role: 'guarded', roleVersion: 1, input: { command: 'rm -rf precious' } },
    ]);
    await call('POST', `/v1/sessions/${id}/kill`);
  });

  it('a deny rule added while the session runs: the CLI asks, the policy answers no by the role in force, and Claude is told why', async () => {
    // The CLI got the role's rules when it started; Mission decides its dialogs by the role as it is now.
    expect((await call('PUT', '/v1/roles/tightened', { allow: ['Bash(echo:*)'] })).status).toBe(200);
    expect((await call('PUT', '/v1/slots/tightened', { role: 'tightened', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
    replies['touch the marker'] = [
      { text: 'Touching.', toolUses: [{ name: 'Bash', input: { command: 'touch touched.txt', description: 'Touch' } }] },
    ];
    const id = await session('tightened');
    await waitUntil(
      async () => (await call<{ state: string }>('GET', `/v1/sessions/${id}`)).body.state === 'idle',
      30_000,
      'the session to start',
    );
    expect((await call('PUT', '/v1/roles/tightened', { allow: ['Bash(echo:*)'], deny: ['Bash(touch:*)'] })).status).toBe(200);
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text: 'touch the marker' });
    expect(turn.status).toBe(200);
    expect(turn.body).toMatchObject({ state: 'idle', response: 'Understood, I will leave it alone.', approval: null });
    expect(fs.existsSync(path.join(bed.workdir, 'touched.txt'))).toBe(false);
    expect(await decisions(id)).toEqual([
      {
        tool: 'Bash',
        decision: 'deny',
        by: 'policy',
        rule: 'Bash(touch:*)',
        reason: expect.stringContaining("role 'tightened' forbids it (rule Bash(touch:*))"),
      },
    ]);
    expect(
      bed.stub.requests.some((r) =>
        r.toolResults.some((result) => result.isError && result.content.includes("Mission denied this: role 'tightened' forbids it")),
      ),
    ).toBe(true);
    const audit = await bed.system.core.database.db.select().from(tables.permissionDecisions);
    expect(audit.filter((row) => row.ownerId === id)).toMatchObject([
      { decision: 'deny', by: 'policy', role: 'tightened', roleVersion: 2, input: { command: 'touch touched.txt' } },
    ]);
    await call('POST', `/v1/sessions/${id}/kill`);
  });

  it("an allowed Bash(echo …) runs without anyone answering: the CLI allows it by the role's rules, its redirection by an Edit rule", async () => {
    // The role's allow rules are the CLI's own settings: a plain echo, and writing the file the Edit rule allows, need no dialog.
    expect(
      (await call('PUT', '/v1/roles/writer', { allow: ['Bash(echo:*)', 'Edit(policy-marker.txt)'], deny: ['Bash(rm -rf*)'] })).status,
    ).toBe(200);
    expect((await call('PUT', '/v1/slots/writer', { role: 'writer', cwd: bed.workdir, env: bed.claude.env })).status).toBe(200);
    const command = 'echo allowed-by-policy > policy-marker.txt';
    replies['echo the marker'] = [
      { text: 'Echoing.', toolUses: [{ name: 'Bash', input: { command, description: 'Echo' } }] },
      { text: 'It wrote the marker.' },
    ];
    const id = await session('writer');
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text: 'echo the marker' });
    expect(turn.body).toMatchObject({ state: 'idle', response: 'It wrote the marker.', approval: null });
    expect(fs.readFileSync(path.join(bed.workdir, 'policy-marker.txt'), 'utf8')).toBe('allowed-by-policy\n');
    const log = await events(id);
    expect(log.some((e) => e.type === 'permission_request' || e.type === 'approval_requested')).toBe(false);
    await call('POST', `/v1/sessions/${id}/kill`);
  });

  it('a confirm rule holds the tool use for an approval; the signed link approves it and the session goes on', async () => {
    const file = path.join(bed.workdir, 'approved.txt');
    replies['write the approved file'] = [
      { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'approved\n' } }] },
      { text: 'Wrote it.' },
    ];
    const id = await session();
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text: 'write the approved file' });
    expect(turn.body).toMatchObject({
      state: 'waiting_permission',
      dialog: { tool: 'Write', target: 'approved.txt' },
      approval: { id: expect.stringMatching(/^appr_/) },
    });
    const approvalId = turn.body.approval!.id;
    const [pending] = (await pendingApprovals()).filter((a) => a.id === approvalId) as (Approval & { url: string })[];
    // The CLI's own tool input, exactly (from its PermissionRequest hook).
    expect(pending).toMatchObject({
      status: 'pending',
      tool: 'Write',
      rule: 'Edit',
      role: 'guarded',
      slot: 'guarded',
      owner: { kind: 'session', id },
      input: { file_path: file, content: 'approved\n' },
    });
    expect(fs.existsSync(file)).toBe(false);

    // The link: its path is all a person needs (no API token).
    const link = new URL(pending!.url).pathname;
    const token = decodeURIComponent(link.split('/').pop()!);
    const page = await call<string>('GET', link, undefined, false);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Write wants permission');
    const tampered = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect((await call('POST', `/approvals/${encodeURIComponent(tampered)}/approve`, {}, false)).status).toBe(401);
    const otherId = `${token.replace(/^appr_[^.]+/, 'appr_other')}`;
    expect((await call('POST', `/approvals/${encodeURIComponent(otherId)}/approve`, {}, false)).status).toBe(401);
    const expired = signApprovalToken(TEST_APPROVAL_SECRET, approvalId, Date.now() - 1_000);
    const expiredAnswer = await call<{ error: { message: string } }>(
      'POST',
      `/approvals/${encodeURIComponent(expired)}/approve`,
      {},
      false,
    );
    expect(expiredAnswer).toMatchObject({ status: 403, body: { error: { message: 'this approval link has expired' } } });
    expect((await bed.system.core.approvals.get(approvalId, ADMIN)).status).toBe('pending');

    const approvedAt = Date.now();
    const approved = await call<Approval>('POST', `${link}/approve`, {}, false);
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved', decidedBy: 'link' } });
    // One approval, one decision: the link does not work twice.
    expect((await call('POST', `${link}/deny`, {}, false)).status).toBe(409);

    await waitUntil(async () => (await decisions(id)).length > 0, 5_000, 'the decision to reach the session');
    const decision = (await events(id)).find((e) => e.type === 'permission_decision')!;
    expect(decision.payload).toEqual({ tool: 'Write', decision: 'allow', by: 'link', rule: 'Edit', approvalId });
    expect(Date.parse(decision.at) - approvedAt).toBeLessThan(1_000);
    await waitUntil(
      async () => (await events(id)).some((e) => e.type === 'assistant_message' && e.payload.text === 'Wrote it.'),
      30_000,
      'the reply after the approval',
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('approved\n');
    await call('POST', `/v1/sessions/${id}/kill`);
  });

  it('denying an approval over REST refuses the tool use and passes the reason on to Claude', async () => {
    const file = path.join(bed.workdir, 'refused.txt');
    replies['write the refused file'] = [{ text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'no\n' } }] }];
    const id = await session();
    const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text: 'write the refused file' });
    const approvalId = turn.body.approval!.id;
    const denied = await call<Approval>('POST', `/v1/approvals/${approvalId}/deny`, { reason: 'not today' });
    expect(denied.body).toMatchObject({ status: 'denied', decidedBy: 'token:test-admin', reason: 'not today' });
    await waitUntil(
      async () => (await events(id)).some((e) => e.type === 'assistant_message' && e.payload.text === 'Understood, I will leave it alone.'),
      30_000,
      'the reply to the reason',
    );
    expect(await decisions(id)).toEqual([
      {
        tool: 'Write',
        decision: 'deny',
        by: 'token:test-admin',
        rule: 'Edit',
        approvalId,
        reason: 'Mission denied this (token:test-admin): not today',
      },
    ]);
    expect(fs.existsSync(file)).toBe(false);
    await call('POST', `/v1/sessions/${id}/kill`);
  });

  it('interrupt or kill with an approval open expires it at once; approving it then answers 409 (under CPU load)', async () => {
    const stopLoad = startCpuLoad();
    try {
      for (const end of ['interrupt', 'kill', 'interrupt'] as const) {
        const file = path.join(bed.workdir, `held-${end}.txt`);
        const prompt = `write the held file then ${end}`;
        replies[prompt] = [
          { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'held\n' } }] },
          { text: 'Wrote it.' },
        ];
        const id = await session();
        const turn = await call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text: prompt, timeoutMs: 60_000 });
        expect(turn.body).toMatchObject({ state: 'waiting_permission', approval: { id: expect.stringMatching(/^appr_/) } });
        const approvalId = turn.body.approval!.id;
        expect((await call('POST', `/v1/sessions/${id}/${end}`)).status).toBe(200);
        expect(await bed.system.core.approvals.get(approvalId, ADMIN)).toMatchObject({
          status: 'expired',
          decidedBy: end === 'interrupt' ? 'interrupt' : 'session_exited',
          reason: end === 'interrupt' ? 'the session was interrupted' : 'the session exited',
        });
        const late = await call<{ error: { code: string; message: string } }>('POST', `/v1/approvals/${approvalId}/approve`, {});
        expect(late).toMatchObject({
          status: 409,
          body: { error: { code: 'conflict', message: `approval ${approvalId} is already expired` } },
        });
        expect(fs.existsSync(file)).toBe(false);
        if (end === 'interrupt') {
          // Back at the prompt, and nothing typed for Claude on the approval's behalf.
          const screen = await call<{ state: string }>('GET', `/v1/sessions/${id}/screen?format=json`);
          expect(screen.body.state).toBe('idle');
          expect(bed.stub.requests.filter((r) => r.lastUserText.includes('Mission denied this: nobody approved it in time'))).toEqual([]);
          await call('POST', `/v1/sessions/${id}/kill`);
        }
      }
    } finally {
      await stopLoad();
    }
  }, 180_000);

  it("headless tasks: the CLI asks Mission's permission-prompt tool; a confirm rule waits for an approval", async () => {
    const file = path.join(bed.workdir, 'headless.txt');
    replies['write the headless file'] = [
      { text: 'Writing.', toolUses: [{ name: 'Write', input: { file_path: file, content: 'headless\n' } }] },
      { text: 'Headless wrote it.' },
    ];
    const submitted = await call<{ id: string }>('POST', '/v1/tasks', { slot: 'guarded', prompt: 'write the headless file' });
    expect(submitted.status).toBe(202);
    let approval: Approval | undefined;
    await waitUntil(
      async () => (approval = (await pendingApprovals()).find((a) => a.owner.id === submitted.body.id)) !== undefined,
      30_000,
      'the approval of the task',
    );
    expect(approval).toMatchObject({ tool: 'Write', rule: 'Edit', owner: { kind: 'task' }, input: { file_path: file } });
    expect(fs.existsSync(file)).toBe(false);
    expect((await call('POST', `/v1/approvals/${approval!.id}/approve`, {})).status).toBe(200);
    const task = await bed.system.core.tasks.waitForEnd(submitted.body.id, 30_000);
    expect(task).toMatchObject({ status: 'succeeded', result: 'Headless wrote it.' });
    expect(fs.readFileSync(file, 'utf8')).toBe('headless\n');
    expect(await decisions(submitted.body.id)).toEqual([
      { tool: 'Write', decision: 'allow', by: 'token:test-admin', rule: 'Edit', approvalId: approval!.id },
    ]);
  });

  it('an approval nobody decides expires, which denies it', async () => {
    const store = approvalStoreOf(bed.system);
    const approval = await store.create({
      owner: { kind: 'session', id: 'ses_x' },
      slot: 'guarded',
      role: 'guarded',
      tool: 'Bash',
      input: { command: 'ls' },
      rule: null,
      timeoutMs: 60_000,
    });
    const decided = await store.waitForDecision(approval.id, 200);
    expect(decided).toMatchObject({ status: 'expired', decidedBy: 'timeout' });
    expect((await call('POST', `/v1/approvals/${approval.id}/approve`, {})).status).toBe(409);
  });

  it('roles are versioned: every change is kept with who made it; bad rules are a 400 that names them', async () => {
    const before = (await call<{ versions: { version: number }[] }>('GET', '/v1/roles/guarded/versions')).body.versions.length;
    const changed = await call<{ version: number; changedBy: string }>('PUT', '/v1/roles/guarded', {
      allow: ['Bash(echo:*)', 'Read'],
      confirm: ['Edit'],
      deny: ['Bash(rm -rf*)'],
    });
    expect(changed.body).toMatchObject({ version: before + 1, changedBy: 'token:test-admin' });
    const versions = (await call<{ versions: { version: number; allow: string[] }[] }>('GET', '/v1/roles/guarded/versions')).body.versions;
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: before + 1 }, (_, i) => before + 1 - i));
    expect(versions[1]?.allow).toEqual(['Bash(echo:*)']);
    const bad = await call<{ error: { message: string } }>('PUT', '/v1/roles/guarded', { deny: ['Bash(rm -rf'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("'Bash(rm -rf' is not a rule");
    expect((await call('GET', '/v1/roles/guarded')).body).toMatchObject({ version: before + 1 });
    expect((await call('PUT', '/v1/roles/..%2Fetc', { allow: [] })).status).toBe(400);
  });

  it('permissions.yaml: roles are synced from the file, a new version only when the rules changed', async () => {
    const file = path.join(bed.workdir, 'permissions.yaml');
    fs.writeFileSync(file, 'roles:\n  reviewer:\n    allow: ["Read", "Bash(git diff:*)"]\n    deny: ["Edit"]\n');
    expect(await bed.system.core.roles.syncFromFile(file)).toEqual(['reviewer']);
    expect(await bed.system.core.roles.syncFromFile(file)).toEqual([]);
    expect(await bed.system.core.roles.get('reviewer')).toMatchObject({
      version: 1,
      allow: ['Read', 'Bash(git diff:*)'],
      deny: ['Edit'],
      changedBy: `file:${file}`,
    });
    const shipped = new URL('../deploy/permissions.yaml', import.meta.url).pathname;
    expect(await bed.system.core.roles.syncFromFile(shipped)).toEqual(['default', 'manager', 'specialist']);
    fs.writeFileSync(file, 'roles:\n  reviewer:\n    deny: ["Bash(rm -rf"]\n');
    await expect(bed.system.core.roles.syncFromFile(file)).rejects.toThrow(/roles\.reviewer\.deny\.0: 'Bash\(rm -rf' is not a rule/);
  });
});
