import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MeasuredInTurn } from './lib/inTurn.ts';
import type { McpClientMessage, McpClientSetup, McpOperation } from './lib/mcpClient.ts';
import { ownCpuMsSince } from './lib/procStat.ts';
import { ms, ratio, report } from './lib/stats.ts';
import { goals, readGoal } from './lib/goals.ts';
import { startBenchSystem } from './lib/system.ts';
import { noopAgent } from './lib/environment.ts';

const FULL = process.argv.includes('--full');
/** Calls per operation and protocol: 400 in the quick run (enough for a p99), 1,000 with `--full`. */
const RUNS = Number(process.env.BENCH_MCP_RUNS ?? (FULL ? 1_000 : 400));
/** The calls of each side are made in this many rounds, REST and MCP in turn, so both meet the same moments of a shared machine. */
const ROUNDS = 8;
const PER_ROUND = Math.ceil(RUNS / ROUNDS);
const clientScript = fileURLToPath(new URL('./lib/mcpClient.ts', import.meta.url));

/**
 * The same read over REST and as an MCP tool call (Streamable HTTP), one after another, from a client in a process of
 * its own (lib/mcpClient.ts), as a client is deployed; every request made by the same HTTP client: `httpFetch`, the
 * one `mission-mcp` makes its calls with. A call's CPU is the client's and the API's.
 */
export async function benchMcp(): Promise<void> {
  const system = await startBenchSystem({ MISSION_CLAUDE_BIN: noopAgent });
  try {
    const { task } = await system.core.tasks.submit({ prompt: 'bench' });
    const setup: McpClientSetup = { url: system.url, auth: system.auth, taskId: task.id, perRound: PER_ROUND, rounds: ROUNDS };
    const measured = await measureFromClient(setup);
    const perCall = (operation: McpOperation) => {
      const { latency, cpuMs, counted } = measured[operation];
      return { latency, cpuMs: cpuMs + counted };
    };
    const p50Ratio = (rest: McpOperation, mcp: McpOperation) => measured[mcp].latency.p50 / measured[rest].latency.p50;
    readGoal(goals.mcpStatus, p50Ratio('restStatus', 'mcpStatus'));
    readGoal(goals.mcpSlots, p50Ratio('restSlots', 'mcpSlots'));
    report(
      `MCP tool call (Streamable HTTP, SDK client as mission-mcp configures it) vs the same REST call, from a client process of its own, both through mission-mcp's HTTP client, ${PER_ROUND * ROUNDS} sequential calls each, in ${ROUNDS} rounds taken in turn after one to warm up; CPU: the client's and the API's`,
      ['operation', 'REST p50', 'MCP p50', 'REST p99', 'MCP p99', 'MCP / REST (p50)', 'REST CPU', 'MCP CPU', 'MCP / REST (CPU)'],
      (
        [
          ['task status', 'restStatus', 'mcpStatus'],
          ['task status, the tool call as a bare JSON-RPC POST (no MCP client)', 'restStatus', 'postStatus'],
          [
            "task status, relayed as mission-mcp relays its client's call (the SDK's transport, no MCP client)",
            'restStatus',
            'relayStatus',
          ],
          ['list slots', 'restSlots', 'mcpSlots'],
        ] as const
      ).map(([operation, restSide, mcpSide]) => {
        const [rest, mcp] = [perCall(restSide), perCall(mcpSide)];
        return [
          operation,
          ms(rest.latency.p50),
          ms(mcp.latency.p50),
          ms(rest.latency.p99),
          ms(mcp.latency.p99),
          ratio(mcp.latency.p50, rest.latency.p50),
          ms(rest.cpuMs),
          ms(mcp.cpuMs),
          ratio(mcp.cpuMs, rest.cpuMs),
        ];
      }),
    );
  } finally {
    await system.close();
  }
}

/** Runs the client process and answers its questions for this process's CPU (the API's) until it has measured. */
function measureFromClient(setup: McpClientSetup): Promise<Record<McpOperation, MeasuredInTurn>> {
  const started = process.cpuUsage();
  const client = fork(clientScript, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, MCP_BENCH_CLIENT: JSON.stringify(setup) },
  });
  return new Promise((resolve, reject) => {
    client.on('message', (message: McpClientMessage) => {
      if (message.kind === 'cpu?') client.send({ kind: 'cpu', ms: ownCpuMsSince(started) });
      else resolve(message.results);
    });
    client.once('exit', (code, signal) => reject(new Error(`the mcp bench's client exited before it measured (${signal ?? code})`)));
  });
}
