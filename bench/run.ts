import os from 'node:os';
import { benchCallers } from './callers.bench.ts';
import { benchCommands } from './commands.bench.ts';
import { benchCost } from './cost.bench.ts';
import { benchFanOut } from './fanout.bench.ts';
import { benchCli } from './cli.bench.ts';
import { benchLoad } from './load.bench.ts';
import { benchMcp } from './mcp.bench.ts';
import { benchPermissions } from './permissions.bench.ts';
import { benchScreen } from './screen.bench.ts';
import { benchSessions } from './sessions.bench.ts';
import { benchSpawn } from './spawn.bench.ts';
import { benchTaskQueue } from './taskQueue.bench.ts';
import { benchTrips } from './trips.bench.ts';
import { benchWarm } from './warm.bench.ts';
import { printGoals } from './lib/goals.ts';

// The raw side of every comparison spawns its agent as the bench's own user, so Mission's agents (in this
// process and in the worker processes it starts) run as that user too: a worker started as root otherwise
// refuses to run agents without a user of their own.
process.env.MISSION_AGENT_USER ??= os.userInfo().username;

/** `npm run bench`: every benchmark, each printing its figures next to a raw baseline measured in the same run. */
const benches: [string, () => Promise<void>][] = [
  ['cost', benchCost],
  ['task queue', benchTaskQueue],
  ['screen', benchScreen],
  ['sessions', benchSessions],
  ['commands', benchCommands],
  ['mcp', benchMcp],
  ['load', benchLoad],
  ['fanout', benchFanOut],
  ['permissions', benchPermissions],
  ['callers', benchCallers],
  ['cli', benchCli],
  ['warm', benchWarm],
  ['spawn', benchSpawn],
];
/** Diagnostics, run only when named: `npm run bench -- trips`. */
const diagnostics: [string, () => Promise<void>][] = [['trips', benchTrips]];
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));

for (const [name, run] of [...benches, ...diagnostics].filter(
  ([name]) => (only.length === 0 && !diagnostics.some(([d]) => d === name)) || only.includes(name),
)) {
  const started = Date.now();
  await run();
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
printGoals();
process.exit(0);
