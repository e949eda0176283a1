import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type JSONRPCMessage, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { httpFetch, missionClientTransport } from '@mission/mcp';
import { type MeasuredInTurn, measureInTurn } from './inTurn.ts';

/**
 * The client side of the `mcp` bench, in a process of its own as a client is deployed (forked by mcp.bench.ts with
 * MCP_BENCH_CLIENT naming the API, its token and the task to read): the same reads over REST and as MCP tool calls,
 * every request made by `httpFetch` (the one `mission-mcp` makes its calls with). Each round's API CPU is asked of the
 * parent (the API's process) before and after it, so every call's CPU is the client's and the server's.
 *
 * Messages to the parent: `cpu?` (answered `{ kind: 'cpu', ms }`, the API process's CPU so far), then `measured`.
 */

export interface McpClientSetup {
  url: string;
  auth: { authorization: string };
  taskId: string;
  perRound: number;
  rounds: number;
}

export type McpOperation = 'restStatus' | 'mcpStatus' | 'postStatus' | 'relayStatus' | 'restSlots' | 'mcpSlots';

export type McpClientMessage = { kind: 'cpu?' } | { kind: 'measured'; results: Record<McpOperation, MeasuredInTurn> };

/** The API process's CPU so far, in ms, asked of the parent. */
function serverCpuMs(): Promise<number> {
  return new Promise((resolve) => {
    process.once('message', (answer: { kind: 'cpu'; ms: number }) => resolve(answer.ms));
    process.send!({ kind: 'cpu?' } satisfies McpClientMessage);
  });
}

async function measure({ url, auth, taskId, perRound, rounds }: McpClientSetup): Promise<void> {
  const client = new Client({ name: 'mission-bench', version: '1.0.0' });
  // The client Mission ships: the SDK's transport as `mission-mcp` configures it.
  const transport = missionClientTransport(new URL('/mcp', url), { requestInit: { headers: auth } });
  await client.connect(transport);
  // The same tool call as a bare POST of its JSON-RPC request on the session the client opened: no MCP client.
  const statusCall = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'mission_status', arguments: { id: taskId } },
  });
  const postHeaders = {
    ...auth,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': transport.sessionId!,
    'mcp-protocol-version': transport.protocolVersion!,
  };
  const relay = await relayOf(new URL('/mcp', url), auth);
  const operations: Record<McpOperation, () => Promise<unknown>> = {
    restStatus: async () => (await httpFetch(`${url}/v1/tasks/${taskId}`, { headers: auth })).json(),
    mcpStatus: () => client.callTool({ name: 'mission_status', arguments: { id: taskId } }),
    postStatus: async () => (await httpFetch(`${url}/mcp`, { method: 'POST', headers: postHeaders, body: statusCall })).json(),
    relayStatus: () => relay.call('tools/call', { name: 'mission_status', arguments: { id: taskId } }),
    restSlots: async () => (await httpFetch(`${url}/v1/slots`, { headers: auth })).json(),
    mcpSlots: () => client.callTool({ name: 'mission_slots', arguments: {} }),
  };
  const results = await measureInTurn(operations, { perRound, rounds, count: { read: serverCpuMs, perReading: 0 } });
  await client.close();
  await relay.close();
  process.send!({ kind: 'measured', results } satisfies McpClientMessage);
}

/**
 * What `mission-mcp` does with a call its client (Claude Code) sends it on stdio (`bridge.ts`): the JSON-RPC request
 * relayed as it is through the SDK's transport as `mission-mcp` configures it, its answer taken off the transport; no
 * MCP client in between (the one in Claude Code made the request).
 */
async function relayOf(endpoint: URL, auth: Record<string, string>) {
  const transport = missionClientTransport(endpoint, { requestInit: { headers: auth } });
  const waiting = new Map<number, (message: JSONRPCMessage) => void>();
  transport.onmessage = (message) => {
    if ('id' in message && typeof message.id === 'number' && !('method' in message)) waiting.get(message.id)?.(message);
  };
  let lastId = 0;
  const call = (method: string, params: Record<string, unknown>) => {
    const id = ++lastId;
    const answered = new Promise<JSONRPCMessage>((resolve) => waiting.set(id, resolve));
    return transport.send({ jsonrpc: '2.0', id, method, params }).then(() => answered.finally(() => waiting.delete(id)));
  };
  await transport.start();
  const initialized = (await call('initialize', {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'mission-bench-relay', version: '1.0.0' },
  })) as unknown as { result: { protocolVersion: string } };
  transport.setProtocolVersion(initialized.result.protocolVersion);
  await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return { call, close: () => transport.terminateSession().then(() => transport.close()) };
}

await measure(JSON.parse(process.env.MCP_BENCH_CLIENT!) as McpClientSetup);
process.disconnect();
