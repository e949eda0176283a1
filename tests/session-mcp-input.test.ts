import fs from 'node:fs';
import path from 'node:path';
import type { MissionEvent, Session, SessionTurn } from '@mission/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import { DEPLOYER_PAGE, deployerArgs } from './support/deployerMcp.ts';
import { scriptByPrompt, type StubReply } from './support/stubAnthropic.ts';

/**
 * An MCP server of a session's Claude asks the person for input (MCP elicitation: a form, or a page to open), on the real claude CLI
 * against the stub API. Before, Mission read the CLI's own form off the screen as a slash command's screen
 * (`command_screen`, "close it with Esc"), and the `send` that led to it waited out its whole timeout. Now the CLI's
 * Elicitation hook is held: the session is `blocked` on an `mcp_input` dialog — the request, then each field — and
 * the answers go back through the hook; nothing is typed into the CLI's form.
 * MISSION_TEST_STRESS=load|pause|both runs them under CPU load and/or with claude paused in bursts.
 */
/** A page no person should be shown by Mission (not http(s)): left to the CLI's own dialog. */
const FTP_PAGE = 'ftp://cloud.example.com/sign-in';

describe("an MCP server's request for input in a session (real claude CLI)", () => {
  let bed: ClaudeTestBed;
  let replies: Record<string, StubReply[]>;
  /** What the deploy tool got from each request, one JSON line each (the server writes it). */
  let deployLog: string;

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    replies = scriptByPrompt(bed.stub);
    deployLog = path.join(bed.workdir, 'deploys.jsonl');
    const slot = { cwd: bed.workdir, env: bed.claude.env, args: deployerArgs(bed.workdir, deployLog) };
    expect((await bed.system.call('PUT', '/v1/slots/deployer', slot)).status).toBe(200);
    // The same server asking the person to open a page (URL mode): one Mission shows, one it leaves to the CLI.
    for (const [name, page] of [
      ['deployer-page', DEPLOYER_PAGE],
      ['deployer-ftp', FTP_PAGE],
    ]) {
      const pageSlot = { ...slot, args: deployerArgs(bed.workdir, deployLog, page) };
      expect((await bed.system.call('PUT', `/v1/slots/${name}`, pageSlot)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = <T>(method: string, route: string, body?: unknown) => bed.system.call<T>(method, route, body);
  const spawn = async (body: Record<string, unknown> = {}) => {
    const res = await call<Session>('POST', '/v1/sessions', { slot: 'deployer', ...body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const send = (id: string, text: string) => call<SessionTurn>('POST', `/v1/sessions/${id}/send`, { text, timeoutMs: 60_000 });
  const answer = (id: string, body: { option?: string; text?: string }) =>
    call<SessionTurn>('POST', `/v1/sessions/${id}/answer`, { ...body, timeoutMs: 60_000 });
  const events = async (id: string) => (await bed.system.core.events.list(id, 0, { limit: 1_000 })) as MissionEvent[];
  /** What the deploy tool answered Claude: the server's own record of what the person's form came to. */
  const deployResults = (id: string) =>
    bed.stub.requests
      .flatMap((request) => request.toolResults)
      .filter((result) => result.toolUseId === id)
      .map((result) => result.content);
  /** A send that stopped at the CLI's own dialog for a page to open: `blocked` on it, and never its text as the reply. */
  const expectCliPageDialog = (asked: { status: number; body: SessionTurn }) => {
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ state: 'blocked', blocking: { kind: 'mcp_input', options: [] } });
    expect(asked.body.blocking?.text).toMatch(/^MCP server “deployer” wants to open a URL\nSign in to the cloud to deploy\n/);
    expect(asked.body.response ?? '').not.toContain('wants to open a URL');
  };
  const deploy = (id: string, prompt: string) =>
    (replies[prompt] = [{ text: 'Deploying.', toolUses: [{ id, name: 'mcp__deployer__deploy', input: {} }] }, { text: 'Deployed.' }]);

  it('the request, then each field, as `mcp_input` dialogs; the answers reach the server through the hook, nothing typed', async () => {
    deploy('toolu_deploy_filled', 'deploy the app');
    const session = await spawn();
    const asked = await send(session.id, 'deploy the app');
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({
      state: 'blocked',
      dialog: null,
      approval: null,
      blocking: {
        kind: 'mcp_input',
        text: 'MCP server “deployer” asks for input: Where should it go?\nFields: Region (required), Replicas (required), Note (optional)',
        options: [
          { key: '1', label: 'Fill it in' },
          { key: '2', label: 'Decline' },
        ],
      },
    });
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body).toMatchObject({
      state: 'blocked',
      blocking: { kind: 'mcp_input' },
    });

    expect((await answer(session.id, { option: '1' })).body.blocking).toMatchObject({
      text: 'MCP server “deployer”: Region (field 1 of 3, required)\nPick one of its options.',
      options: [
        { key: '1', label: 'Europe (West)' },
        { key: '2', label: 'US (East)' },
      ],
    });
    expect((await answer(session.id, { option: '2' })).body.blocking?.text).toContain('Replicas (field 2 of 3, required)');
    const refused = await answer(session.id, { text: '9' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { message: "Replicas takes a whole number from 1 to 5, not '9'" } });
    expect((await answer(session.id, { text: '3' })).body.blocking).toMatchObject({
      text: 'MCP server “deployer”: Note (field 3 of 3, optional)\nAnswer with text: words.',
      options: [{ key: '0', label: 'Leave it unset' }],
    });
    const done = await answer(session.id, { option: '0' });
    expect(done.body).toMatchObject({ state: 'idle', response: 'Deployed.' });
    expect(done.body.blocking).toBeUndefined();

    expect(deployResults('toolu_deploy_filled')).toEqual(['deploy: {"action":"accept","content":{"region":"us-east","replicas":3}}']);
    const kinds = (await events(session.id)).map((event) => event.type);
    expect(kinds).not.toContain('permission_request');
    expect(kinds).not.toContain('approval_requested');
    const blocked = (await events(session.id)).filter((event) => event.type === 'state' && event.payload.state === 'blocked');
    expect(blocked.map((event) => (event.payload as { blocking?: { kind: string } }).blocking?.kind)).toEqual([
      'mcp_input',
      'mcp_input',
      'mcp_input',
      'mcp_input',
    ]);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('declined at the request: the server hears no, and the turn goes on to its end', async () => {
    deploy('toolu_deploy_declined', 'deploy, or not');
    const session = await spawn();
    expect((await send(session.id, 'deploy, or not')).body.blocking?.kind).toBe('mcp_input');
    expect((await answer(session.id, { option: '2' })).body).toMatchObject({ state: 'idle', response: 'Deployed.' });
    expect(deployResults('toolu_deploy_declined')).toEqual(['deploy: {"action":"decline"}']);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('interrupted while it asks: the request is cancelled, and the turn stops at the prompt', async () => {
    deploy('toolu_deploy_interrupted', 'deploy, then stop');
    const session = await spawn();
    expect((await send(session.id, 'deploy, then stop')).body.blocking?.kind).toBe('mcp_input');
    const stopped = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`);
    expect(stopped.body.state).toBe('idle');
    expect(JSON.parse(fs.readFileSync(deployLog, 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ action: 'cancel' });
    expect((await call<Session>('GET', `/v1/sessions/${session.id}`)).body).toMatchObject({ state: 'idle', blocking: null });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("the screen driver (a CLI run without hooks) reads the CLI's own form as `mcp_input`, with nothing Mission presses, and refuses to type into it", async () => {
    replies['deploy on screen'] = [
      { text: 'Deploying.', toolUses: [{ id: 'toolu_deploy_screen', name: 'mcp__deployer__deploy', input: {} }] },
    ];
    const session = await spawn({ driver: 'screen' });
    expect(session.driver).toBe('screen');
    const asked = await send(session.id, 'deploy on screen');
    expect(asked.body).toMatchObject({ state: 'blocked', blocking: { kind: 'mcp_input', options: [] } });
    expect(asked.body.blocking?.text).toMatch(/^MCP server “deployer” requests your input\nWhere should it go\?/);
    const typed = await send(session.id, 'hello?');
    expect(typed.status).toBe(409);
    expect(JSON.stringify(typed.body)).toContain("an MCP server asks for input on the CLI's own dialog (a form, or a page to open)");
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it('a page to open (URL mode): one `mcp_input` dialog with the page, accept or decline; accepted, the server hears it through the hook and the turn goes on', async () => {
    deploy('toolu_deploy_page', 'deploy after signing in');
    const session = await spawn({ slot: 'deployer-page' });
    const asked = await send(session.id, 'deploy after signing in');
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({
      state: 'blocked',
      dialog: null,
      blocking: {
        kind: 'mcp_input',
        text: `MCP server “deployer” asks you to open a page: Sign in to the cloud to deploy\n${DEPLOYER_PAGE}\nOpen it yourself (Mission opens nothing), then accept; or decline.`,
        options: [
          { key: '1', label: 'Accept' },
          { key: '2', label: 'Decline' },
        ],
      },
    });
    // Held by the hook: the CLI draws no dialog of its own meanwhile.
    const screen = await call<{ lines: string[] }>('GET', `/v1/sessions/${session.id}/screen?format=json`);
    expect(screen.body.lines.join('\n')).not.toContain('wants to open a URL');
    const refused = await answer(session.id, { text: 'done' });
    expect(refused.status).toBe(400);
    const done = await answer(session.id, { option: '1' });
    expect(done.body).toMatchObject({ state: 'idle', response: 'Deployed.' });
    expect(deployResults('toolu_deploy_page')).toEqual(['deploy: {"action":"accept"}']);
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("a page Mission does not show (not http(s)) is left to the CLI's own dialog: the send stops there, `blocked` on `mcp_input`, not at its timeout", async () => {
    deploy('toolu_deploy_ftp', 'deploy from ftp');
    const session = await spawn({ slot: 'deployer-ftp' });
    expectCliPageDialog(await send(session.id, 'deploy from ftp'));
    const stopped = await call<SessionTurn>('POST', `/v1/sessions/${session.id}/interrupt`);
    expect(stopped.body.state).toBe('idle');
    expect(JSON.parse(fs.readFileSync(deployLog, 'utf8').trim().split('\n').at(-1)!)).toMatchObject({ action: 'cancel' });
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it("the screen driver reads the CLI's own page dialog as `mcp_input` (not a slash command's screen, not the reply), with nothing Mission presses", async () => {
    replies['deploy after signing in on screen'] = [
      { text: 'Deploying.', toolUses: [{ id: 'toolu_deploy_page_screen', name: 'mcp__deployer__deploy', input: {} }] },
    ];
    const session = await spawn({ slot: 'deployer-page', driver: 'screen' });
    expectCliPageDialog(await send(session.id, 'deploy after signing in on screen'));
    await call('POST', `/v1/sessions/${session.id}/kill`);
  });

  it.each([
    ['deployer', 'deploy as a task'],
    ['deployer-page', 'deploy as a task after signing in'],
  ])(
    'in a task (headless, slot %s) Claude Code cancels the request at once: the server hears cancel, the task goes on to its end',
    async (slot, prompt) => {
      const id = `toolu_task_${slot.replace('-', '_')}`;
      replies[prompt] = [
        { text: 'Deploying.', toolUses: [{ id, name: 'mcp__deployer__deploy', input: {} }] },
        { text: 'Deployed without it.' },
      ];
      const asked = await call<{ answer: string }>('POST', '/v1/ask', { slot, prompt, timeoutMs: 60_000 });
      expect(asked.status).toBe(200);
      expect(asked.body.answer).toBe('Deployed without it.');
      expect(deployResults(id)).toEqual(['deploy: {"action":"cancel"}']);
    },
  );
});
