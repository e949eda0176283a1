import { agentToolsOf, type Approval, type AuditEntry, type Receipt, type Role, type Session, type SessionTurn } from '@mission/contracts';
import { mintAgentToken } from '@mission/store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudeTestBed, startClaudeTestBed } from './support/claudeTestBed.ts';
import type { StubReply, StubRequest } from './support/stubAnthropic.ts';

const ASK_PROMPT = 'GATE: ask to deploy v2';
const CHECK_PROMPT = 'GATE: check';

/**
 * The gate: an agent (the real claude CLI in a session, on the stub API) asks through Mission's MCP server
 * before an action; the approval lands in the same inbox as tool approvals; receipts record every step.
 * The SDK's real client, with the session's own child token, calls the rest of the gate's tools.
 */
describe('agent-raised approvals and receipts (real claude CLI, MCP SDK client)', () => {
  let bed: ClaudeTestBed;
  const json = { 'content-type': 'application/json' };
  /** What the gate's tools answered the CLI, by tool. */
  const toolResults: { tool: string; content: string; isError: boolean }[] = [];

  beforeAll(async () => {
    bed = await startClaudeTestBed();
    await bed.system.core.roles.put('deployer', { allow: ['Read'], actionClasses: { deploy: 'gated', 'format.code': 'auto' } }, 'test');
    await bed.system.core.slots.put('deployer', { role: 'deployer', cwd: bed.workdir, env: bed.claude.env });
    bed.stub.respond(playAgent);
  });
  afterAll(async () => {
    await bed?.close();
  });

  function playAgent(request: StubRequest): StubReply {
    if (request.tools.length === 0) return { text: 'side request' };
    const messages = request.body.messages as { role: string; content: unknown }[];
    const lastCalled = messages
      .filter((m) => m.role === 'assistant' && Array.isArray(m.content))
      .flatMap((m) => (m.content as { type: string; name?: string }[]).filter((b) => b.type === 'tool_use').map((b) => b.name!))
      .at(-1);
    const result = request.toolResults[0];
    if (result) {
      toolResults.push({ tool: lastCalled ?? '', content: result.content, isError: result.isError });
      const parsed = JSON.parse(result.content) as { receipt?: Receipt; decision?: string; approval?: Approval };
      return { text: lastCalled?.endsWith('mission_request_approval') ? `Asked: ${parsed.approval?.id}` : `Decision: ${parsed.decision}` };
    }
    if (request.lastUserText.startsWith(ASK_PROMPT)) {
      return {
        toolUses: [
          {
            name: 'mcp__mission__mission_request_approval',
            input: { action_class: 'deploy', summary: 'Deploy v2 to production', evidence: { tests: 'green', diff: '+12 -3' } },
          },
        ],
      };
    }
    if (request.lastUserText.startsWith(CHECK_PROMPT)) {
      return {
        toolUses: [{ name: 'mcp__mission__mission_check_approval', input: { id: request.lastUserText.slice(CHECK_PROMPT.length).trim() } }],
      };
    }
    return { text: 'OK' };
  }

  const send = async (session: string, text: string): Promise<SessionTurn> => {
    const response = await bed.system.fetch(`/v1/sessions/${session}/send`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text, timeoutMs: 90_000 }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as SessionTurn;
  };

  it('a gated action: the agent asks through MCP, a person approves in the inbox, the agent sees it; receipts and audit say who and when', async () => {
    const session = (await (
      await bed.system.fetch('/v1/sessions', { method: 'POST', headers: json, body: JSON.stringify({ slot: 'deployer' }) })
    ).json()) as Session;
    const asked = await send(session.id, ASK_PROMPT);
    const approvalId = /Asked: (appr_\w+)/.exec(asked.response ?? '')?.[1];
    expect(approvalId, asked.response ?? '').toBeDefined();

    // The same inbox as tool approvals.
    const { approvals } = (await (await bed.system.fetch('/v1/approvals?status=pending')).json()) as { approvals: Approval[] };
    expect(approvals.find((a) => a.id === approvalId)).toMatchObject({
      tool: 'action:deploy',
      owner: { kind: 'session', id: session.id },
      slot: 'deployer',
      role: 'deployer',
      rule: 'actionClasses.deploy: gated',
      input: { summary: 'Deploy v2 to production', evidence: { tests: 'green', diff: '+12 -3' } },
    });
    expect(
      (
        await bed.system.fetch(`/v1/approvals/${approvalId}/approve`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ reason: 'ship it' }),
        })
      ).status,
    ).toBe(200);

    const checked = await send(session.id, `${CHECK_PROMPT} ${approvalId}`);
    expect(checked.response).toContain('Decision: approved');
    expect(toolResults.map((r) => [r.tool, r.isError])).toEqual([
      ['mcp__mission__mission_request_approval', false],
      ['mcp__mission__mission_check_approval', false],
    ]);

    const receipt = (await (await bed.system.fetch(`/v1/receipts/${approvalId}`)).json()) as Receipt;
    expect(receipt).toMatchObject({
      owner: { kind: 'session', id: session.id },
      actionClass: 'deploy',
      mode: 'gated',
      decision: 'approved',
      decidedBy: 'token:test-admin',
      reason: 'ship it',
      actor: `token:session:${session.id}`,
    });
    const audit = await bed.system.fetch(`/v1/audit?subject=${session.id}&kind=receipt,approval_requested,approval_decided`);
    expect(audit.status, await audit.clone().text()).toBe(200);
    const { entries } = (await audit.json()) as { entries: AuditEntry[] };
    expect(entries.map((e) => [e.kind, e.actor])).toEqual([
      ['approval_decided', 'token:test-admin'],
      ['receipt', `token:session:${session.id}`],
      ['approval_requested', `session:${session.id}`],
    ]);

    // The rest of the gate through the SDK client, with the session's own token (as its CLI has).
    const token = await mintAgentToken(
      bed.system.core.database.db,
      { kind: 'session', id: session.id },
      { role: 'deployer', tools: agentToolsOf({ missionTools: [], actionClasses: { deploy: 'gated' } }) },
    );
    const agent = new Client({ name: 'gate-test-agent', version: '1.0.0' });
    await agent.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const call = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
      const result = (await agent.callTool({ name, arguments: args })) as CallToolResult;
      const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
      expect(result.isError, `${name}: ${text}`).toBeFalsy();
      return JSON.parse(text) as T;
    };
    try {
      const status = await call<Session & { gate: { instructions: string; actionClasses: Record<string, string> } }>('mission_status', {
        id: session.id,
      });
      expect(status.gate.actionClasses).toEqual({ deploy: 'gated', 'format.code': 'auto' });
      expect(status.gate.instructions).toContain('mission_request_approval');

      const auto = await call<{ receipt: Receipt; approval: Approval | null }>('mission_request_approval', {
        action_class: 'format.code',
        summary: 'Run prettier on src/',
      });
      expect(auto).toMatchObject({ approval: null, receipt: { mode: 'auto', decision: 'auto', actionClass: 'format.code' } });
      const unlisted = await call<{ receipt: Receipt; approval: Approval | null }>('mission_request_approval', {
        action_class: 'drop.table',
        summary: 'Drop the old table',
      });
      expect(unlisted).toMatchObject({ receipt: { mode: 'gated', decision: 'pending' }, approval: { status: 'pending', rule: null } });

      const logged = await call<Receipt>('mission_log_action', {
        action_class: 'deploy',
        summary: 'Deployed v2',
        evidence: { url: 'https://example.com/deploy/42' },
      });
      expect(logged).toMatchObject({ mode: 'logged', decision: 'logged', owner: { id: session.id } });
      expect(await call<Receipt>('mission_get_receipt', { id: logged.id })).toMatchObject({
        id: logged.id,
        summary: 'Deployed v2',
        evidence: { url: 'https://example.com/deploy/42' },
      });

      // An operator's receipt is not the agent's to read.
      const other = await bed.system.core.receipts.log({ kind: 'session', id: session.id }, { action_class: 'x', summary: 'y' }, 'op');
      const task = (await bed.system.core.tasks.submit({ slot: 'default', prompt: 'something else' })).task;
      const foreign = await bed.system.core.receipts.log({ kind: 'task', id: task.id }, { action_class: 'x', summary: 'not yours' }, 'op');
      expect(await call<Receipt>('mission_get_receipt', { id: other.id })).toMatchObject({ id: other.id });
      const refused = (await agent.callTool({ name: 'mission_get_receipt', arguments: { id: foreign.id } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(refused.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('not_found') });
    } finally {
      await agent.close();
    }

    // An operator has no session of its own to ask for: the gate says so, and where to go instead.
    const operator = new Client({ name: 'gate-test-operator', version: '1.0.0' });
    await operator.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', bed.system.url), { requestInit: { headers: bed.system.auth } }),
    );
    const refused = (await operator.callTool({
      name: 'mission_request_approval',
      arguments: { action_class: 'deploy', summary: 'x' },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0]).toMatchObject({ text: expect.stringContaining('POST /v1/receipts/request') });
    await operator.close();
    await bed.system.fetch(`/v1/sessions/${session.id}/kill`, { method: 'POST' });
  });

  it('REST: an operator raises and logs actions for a session or task; roles list their action classes', async () => {
    const task = (await bed.system.core.tasks.submit({ slot: 'deployer', prompt: 'rest gate' })).task;
    const raised = await bed.system.fetch('/v1/receipts/request', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ owner: { kind: 'task', id: task.id }, action_class: 'deploy', summary: 'Deploy from CI' }),
    });
    expect(raised.status).toBe(201);
    const { receipt, approval } = (await raised.json()) as { receipt: Receipt; approval: Approval };
    expect(receipt).toMatchObject({ mode: 'gated', decision: 'pending', approvalId: approval.id, actor: 'token:test-admin' });
    const logged = await bed.system.fetch('/v1/receipts/log', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ owner: { kind: 'task', id: task.id }, action_class: 'format.code', summary: 'Formatted' }),
    });
    expect(logged.status).toBe(201);
    const { receipts } = (await (await bed.system.fetch(`/v1/receipts?owner=${task.id}`)).json()) as { receipts: Receipt[] };
    expect(receipts.map((r) => [r.actionClass, r.decision])).toEqual([
      ['format.code', 'logged'],
      ['deploy', 'pending'],
    ]);
    const missing = await bed.system.fetch('/v1/receipts/request', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ owner: { kind: 'task', id: 'task_nope' }, action_class: 'deploy', summary: 'x' }),
    });
    expect(missing.status).toBe(404);
    const role = (await (await bed.system.fetch('/v1/roles/deployer')).json()) as Role;
    expect(role.actionClasses).toEqual({ deploy: 'gated', 'format.code': 'auto' });
  });
});
