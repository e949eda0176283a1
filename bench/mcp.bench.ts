import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { httpFetch, missionClientTransport } from '@mission/mcp';
import { measureInTurn } from './lib/inTurn.ts';
import { ms, ratio, report } from './lib/stats.ts';
import { startBenchSystem } from './lib/system.ts';

const FULL = process.argv.includes('--full');
/** Calls per operation and protocol: 400 in the quick run (enough for a p99), 1,000 with `--full`. */
const RUNS = Number(process.env.BENCH_MCP_RUNS ?? (FULL ? 1_000 : 400));
/** The calls of each side are made in this many rounds, REST and MCP in turn, so both meet the same moments of a shared machine. */
const ROUNDS = 8;
const PER_ROUND = Math.ceil(RUNS / ROUNDS);
const noopAgent = fileURLToPath(new URL('./noop-agent.sh', import.meta.url));

/**
 * The same read over REST and as an MCP tool call (Streamable HTTP), one after another, every request made by the
 * same HTTP client: `httpFetch`, the one `mission-mcp` makes its calls with.
 */
export async function benchMcp(): Promise<void> {
  const system = await startBenchSystem({ MISSION_CLAUDE_BIN: noopAgent });
  const client = new Client({ name: 'mission-bench', version: '1.0.0' });
  // The client Mission ships: the SDK's transport as `mission-mcp` configures it.
  const transport = missionClientTransport(new URL('/mcp', system.url), { requestInit: { headers: system.auth } });
  await client.connect(transport);
  try {
    const { task } = await system.core.tasks.submit({ prompt: 'bench' });
    // The same tool call as a bare POST of its JSON-RPC request on the session the client opened: no MCP client.
    const statusCall = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'mission_status', arguments: { id: task.id } },
    });
    const postHeaders = {
      ...system.auth,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': transport.protocolVersion!,
    };
    const operations = {
      restStatus: async () => (await httpFetch(`${system.url}/v1/tasks/${task.id}`, { headers: system.auth })).json(),
      mcpStatus: () => client.callTool({ name: 'mission_status', arguments: { id: task.id } }),
      postStatus: async () => (await httpFetch(`${system.url}/mcp`, { method: 'POST', headers: postHeaders, body: statusCall })).json(),
      restSlots: async () => (await httpFetch(`${system.url}/v1/slots`, { headers: system.auth })).json(),
      mcpSlots: () => client.callTool({ name: 'mission_slots', arguments: {} }),
    };
    const { restStatus, mcpStatus, postStatus, restSlots, mcpSlots } = await measureInTurn(operations, {
      perRound: PER_ROUND,
      rounds: ROUNDS,
    });
    report(
      `MCP tool call (Streamable HTTP, SDK client as mission-mcp configures it) vs the same REST call, both through mission-mcp's HTTP client, ${PER_ROUND * ROUNDS} sequential calls each, in ${ROUNDS} rounds taken in turn after one to warm up`,
      ['operation', 'REST p50', 'MCP p50', 'REST p99', 'MCP p99', 'MCP / REST (p50)', 'REST CPU', 'MCP CPU', 'MCP / REST (CPU)'],
      (
        [
          ['task status', restStatus, mcpStatus],
          ['task status, the tool call as a bare JSON-RPC POST (no MCP client)', restStatus, postStatus],
          ['list slots', restSlots, mcpSlots],
        ] as const
      ).map(([operation, rest, mcp]) => [
        operation,
        ms(rest.latency.p50),
        ms(mcp.latency.p50),
        ms(rest.latency.p99),
        ms(mcp.latency.p99),
        ratio(mcp.latency.p50, rest.latency.p50),
        ms(rest.cpuMs),
        ms(mcp.cpuMs),
        ratio(mcp.cpuMs, rest.cpuMs),
      ]),
    );
  } finally {
    await client.close();
    await system.close();
  }
}
