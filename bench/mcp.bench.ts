import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { missionClientTransport } from '@mission/mcp';
import { ownCpuMsSince } from './lib/procStat.ts';
import { ms, ratio, report, summarize, timeIt } from './lib/stats.ts';
import { startBenchSystem } from './lib/system.ts';

const RUNS = 500;
const noopAgent = fileURLToPath(new URL('./noop-agent.sh', import.meta.url));

/** The same read over REST and as an MCP tool call (Streamable HTTP), one after another. */
export async function benchMcp(): Promise<void> {
  const system = await startBenchSystem({ MISSION_CLAUDE_BIN: noopAgent });
  const client = new Client({ name: 'mission-bench', version: '1.0.0' });
  // The client Mission ships: the SDK's transport as `mission-mcp` configures it.
  await client.connect(missionClientTransport(new URL('/mcp', system.url), { requestInit: { headers: system.auth } }));
  try {
    const { task } = await system.core.tasks.submit({ prompt: 'bench' });
    /** Latency per call, and CPU per call (this process: client and server, which a neighbour's burst does not move). */
    const measure = async (call: () => Promise<unknown>) => {
      for (let i = 0; i < 20; i++) await call();
      const sample: number[] = [];
      const cpu = process.cpuUsage();
      for (let i = 0; i < RUNS; i++) sample.push((await timeIt(call)).ms);
      return { ...summarize(sample), cpuMs: ownCpuMsSince(cpu) / RUNS };
    };
    const restStatus = await measure(async () => (await fetch(`${system.url}/v1/tasks/${task.id}`, { headers: system.auth })).json());
    const mcpStatus = await measure(() => client.callTool({ name: 'mission_status', arguments: { id: task.id } }));
    const restSlots = await measure(async () => (await fetch(`${system.url}/v1/slots`, { headers: system.auth })).json());
    const mcpSlots = await measure(() => client.callTool({ name: 'mission_slots', arguments: {} }));
    report(
      `MCP tool call (Streamable HTTP, SDK client as mission-mcp configures it) vs the same REST call, ${RUNS} sequential calls each`,
      ['operation', 'REST p50', 'MCP p50', 'REST p99', 'MCP p99', 'MCP / REST (p50)', 'REST CPU', 'MCP CPU', 'MCP / REST (CPU)'],
      (
        [
          ['task status', restStatus, mcpStatus],
          ['list slots', restSlots, mcpSlots],
        ] as const
      ).map(([operation, rest, mcp]) => [
        operation,
        ms(rest.p50),
        ms(mcp.p50),
        ms(rest.p99),
        ms(mcp.p99),
        ratio(mcp.p50, rest.p50),
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
