import fs from 'node:fs';
import { createRedis } from '@mission/store';
import { startBenchRedis } from './lib/benchRedis.ts';
import { startMissionProcesses } from './lib/missionProcesses.ts';
import { report } from './lib/stats.ts';
import { noopAgent } from './lib/environment.ts';

/**
 * Every round trip one task causes: the Postgres statements (from the server's log, `log_statement = all` on the
 * scratch database) and the Redis commands (MONITOR on the bench's private server, commands run by scripts
 * included) of TASKS no-op tasks run one after another through `POST /v1/ask`, grouped and counted per task.
 * Background work in the same window (heartbeats, sweeps) is counted in too. Reads the Postgres log at
 * BENCH_PG_LOG (the Debian default), so it needs read access to it.
 */
const TASKS = Number(process.env.BENCH_TRIPS_TASKS ?? 20);
const PG_LOG = process.env.BENCH_PG_LOG ?? '/var/log/postgresql/postgresql-15-main.log';

export async function benchTrips(): Promise<void> {
  const redis = await startBenchRedis();
  const mission = await startMissionProcesses(redis.url, { MISSION_CLAUDE_BIN: noopAgent }, { log_statement: 'all' });
  const monitor = await createRedis(redis.url, 'bench-trips-monitor').monitor();
  try {
    const ask = async (i: number) => {
      const res = await fetch(`${mission.url}/v1/ask`, {
        method: 'POST',
        headers: mission.headers,
        body: JSON.stringify({ prompt: `task ${i}` }),
      });
      if (res.status !== 200) throw new Error(`ask answered ${res.status}: ${await res.text()}`);
    };
    for (let i = 0; i < 3; i++) await ask(i);

    const redisCommands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => redisCommands.push(redisShape(args, source)));
    const logFrom = fs.statSync(PG_LOG).size;
    for (let i = 0; i < TASKS; i++) await ask(i);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the log and MONITOR lines of the last task
    monitor.disconnect();
    const statements = pgStatements(readFrom(PG_LOG, logFrom), mission.database);

    const byCount = (shapes: readonly string[]) =>
      [...Map.groupBy(shapes, (shape) => shape).entries()]
        .map(([shape, all]) => [(all.length / TASKS).toFixed(2), shape])
        .sort((a, b) => Number(b[0]) - Number(a[0]));
    report(`Postgres statements per task (${TASKS} tasks one after another)`, ['per task', 'statement'], byCount(statements.shapes));
    report(
      `Redis commands per task (${TASKS} tasks one after another; "lua" = run by a script)`,
      ['per task', 'command'],
      byCount(redisCommands),
    );
    report(
      'Totals per task',
      ['figure', 'per task'],
      [
        ['Postgres statements', (statements.shapes.length / TASKS).toFixed(1)],
        ['Postgres transactions', (statements.transactions / TASKS).toFixed(1)],
        ['Redis commands', (redisCommands.length / TASKS).toFixed(1)],
      ],
    );
  } finally {
    await mission.stopProcesses();
    await mission.cleanUp();
    await redis.stop();
  }
}

function readFrom(file: string, offset: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(fs.fstatSync(fd).size - offset);
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The statements the log shows for `database` (one shape each, literals and parameters out) and the transactions they made. */
function pgStatements(log: string, database: string): { shapes: string[]; transactions: number } {
  const shapes: string[] = [];
  const inTransaction = new Set<string>();
  let transactions = 0;
  const line = new RegExp(`^\\S+ \\S+ \\S+ \\[(\\d+)\\] \\S+@${database} LOG:  (?:statement|execute [^:]+): (.*)$`);
  for (const text of log.split('\n')) {
    const match = line.exec(text);
    if (!match) continue;
    const [, pid, statement] = match as unknown as [string, string, string];
    const shape = statement
      .replace(/'[^']*'/g, "'…'")
      .replace(/\s+/g, ' ')
      .slice(0, 160);
    shapes.push(shape);
    const word = statement.trim().split(/\s/)[0]!.toLowerCase();
    if (word === 'begin') inTransaction.add(pid);
    else if (word === 'commit' || word === 'rollback') {
      inTransaction.delete(pid);
      transactions++;
    } else if (!inTransaction.has(pid)) transactions++;
  }
  return { shapes, transactions };
}

/** A command by name and key, ids and the queue prefix out. */
function redisShape(args: readonly string[], source: string): string {
  const [name = '', key = ''] = args;
  const keyShape = key
    .replace(/^bench-mission-[0-9a-f]+:?/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/task_[0-9a-z]+/g, '<task>')
    .replace(/tok_[0-9a-z]+/g, '<token>')
    .replace(/:\d+(?=:|$)/g, ':<n>');
  const shown = /^(evalsha|eval)$/i.test(name)
    ? `${name} ${key.slice(0, 8)} ${args[3]?.replace(/^bench-mission-[0-9a-f]+:?/, '') ?? ''}`
    : `${name} ${keyShape}`;
  return `${source === 'lua' ? 'lua ' : ''}${shown}`;
}
