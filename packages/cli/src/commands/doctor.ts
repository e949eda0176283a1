import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { claudeVersionNote } from '@mission/contracts/claudeVersions';
import type { Config } from '@mission/store';
import type { Command, CommandContext } from '../command.ts';
import { probeClaude } from '../claudeProbe.ts';
import { describeCause } from '../errors.ts';
import { isSuccessStatus } from '../http.ts';
import { loadHost } from '../host.ts';
import type { Paint } from '../printer.ts';

const CHECK_TIMEOUT_MS = 5_000;

interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failed check. */
  hint?: string;
}

type Check = (config: Config, context: CommandContext) => Promise<Omit<CheckResult, 'name'>>;

export const doctorCommand: Command = {
  name: 'doctor',
  usage: '[--probe]',
  summary: 'Check Redis, Postgres, the claude binary, its login and home, and the API and its token',
  details: `Checks, in order: Redis (REDIS_URL), Postgres (DATABASE_URL, or the embedded PGlite), the claude binary
(MISSION_CLAUDE_BIN) and its version (whether Mission is tested with it), that claude can reach the model (ANTHROPIC_API_KEY or a login), that its
home (HOME or CLAUDE_CONFIG_DIR) is readable and what a worker will set there before a session starts
(onboarding done, the API key approved, auto mode off), the API at MISSION_URL, and that it accepts MISSION_TOKEN.
Postgres is opened as the API opens it: its schema is brought up to date. Embedded PGlite is not opened
(one process at a time may, and \`mission up\` may be running). Exit code 1 when a check fails.
  --probe   Also send claude one short prompt (a few tokens, billed) with this environment: does it
            authenticate, reach the API and answer? Its known failures come with Mission's fix.`,
  arguments: [],
  options: { probe: { type: 'boolean' } },
  async run(context, { options }) {
    const config = (await loadHost('doctor')).loadConfig(context.processEnv);
    const checks: [string, Check][] = [
      ['Redis', checkRedis],
      ['Postgres', checkDatabase],
      ['claude', checkClaude],
      ['login', checkLogin],
      ['home', checkHome],
      ['API', checkApi],
      ['token', checkToken],
      ...(options.probe ? [['probe', checkProbe] as [string, Check]] : []),
    ];
    const results: CheckResult[] = [];
    for (const [name, check] of checks) {
      results.push({ name, ...(await check(config, context).catch((error: unknown) => ({ ok: false, detail: describeCause(error) }))) });
    }
    const ok = results.every((result) => result.ok);
    context.printer.result({ ok, checks: results }, () => doctorText(results, context.printer.paint));
    return ok ? 0 : 1;
  },
};

/** ✓/✗ per check, with the hint under a failed one. */
function doctorText(results: CheckResult[], paint: Paint): string {
  const width = Math.max(...results.map((result) => result.name.length));
  return results
    .flatMap((result) => [
      `${result.ok ? paint('green', '✓') : paint('red', '✗')} ${result.name.padEnd(width)}  ${result.detail}`,
      ...(!result.ok && result.hint ? [paint('dim', `  ${' '.repeat(width)}  hint: ${result.hint}`)] : []),
    ])
    .join('\n');
}

const checkRedis: Check = async (config, { processEnv }) => {
  if (!config.redisUrl) {
    const server = findOnPath('redis-server', processEnv.PATH ?? '');
    return server
      ? { ok: true, detail: `REDIS_URL unset: \`mission up\` will start ${server}` }
      : {
          ok: false,
          detail: 'REDIS_URL is unset and there is no redis-server on PATH',
          hint: 'set REDIS_URL=redis://host:6379, or install redis-server',
        };
  }
  const { Redis } = await loadHost('doctor');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // the failure comes back from connect() or ping() below, as the check's answer
  });
  try {
    await redis.connect();
    await redis.ping();
    return { ok: true, detail: `${redactUrl(config.redisUrl)} answers` };
  } catch (error) {
    return { ok: false, detail: `${redactUrl(config.redisUrl)}: ${describeCause(error)}`, hint: 'is Redis running there? (REDIS_URL)' };
  } finally {
    redis.disconnect();
  }
};

const checkDatabase: Check = async (config) => {
  if (!config.databaseUrl) {
    // Not opened: PGlite is one process's, and a running `mission up` may hold it.
    const dir = path.join(config.dataDir, 'pgdata');
    return { ok: true, detail: `DATABASE_URL unset: embedded PGlite in ${dir}${fs.existsSync(dir) ? '' : ' (created on first start)'}` };
  }
  const { openDatabase } = await loadHost('doctor');
  try {
    const database = await withTimeout(openDatabase({ url: config.databaseUrl, dataDir: config.dataDir }), 'connecting');
    await database.ping().finally(() => database.close());
    return { ok: true, detail: `${database.location} answers (schema up to date)` };
  } catch (error) {
    return {
      ok: false,
      detail: `${redactUrl(config.databaseUrl)}: ${describeCause(error)}`,
      hint: 'is PostgreSQL running there, and may this user connect? (DATABASE_URL)',
    };
  }
};

const checkClaude: Check = async (config) => {
  const bin = config.claudeBin;
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: CHECK_TIMEOUT_MS * 3 }, (error, stdout) => {
      if (!error) return resolve({ ok: true, detail: `${bin}: ${stdout.trim()}, ${claudeVersionNote(stdout)}` });
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      resolve({
        ok: false,
        detail: missing ? `'${bin}' not found` : `${bin} --version failed: ${error.message.split('\n')[0]}`,
        hint: 'install @anthropic-ai/claude-code (npm start puts node_modules/.bin on PATH), or set MISSION_CLAUDE_BIN',
      });
    });
  });
};

const checkLogin: Check = async (_config, { processEnv }) => {
  const { findClaudeAuth } = await loadHost('doctor');
  const auth = await findClaudeAuth(processEnv);
  return auth
    ? { ok: true, detail: `claude reaches the model with ${auth}` }
    : {
        ok: false,
        detail: 'no ANTHROPIC_API_KEY and no stored login: every prompt would answer "Not logged in"',
        hint: 'set ANTHROPIC_API_KEY, or run `claude` once and /login (or give each slot its key in its env)',
      };
};

/** The CLI's home is the worker's to prepare; what matters here is that it can: its files must be JSON. */
const checkHome: Check = async (_config, { processEnv }) => {
  const { claudeHomePaths, claudeHomeProblems, readClaudeHome } = await loadHost('doctor');
  const paths = claudeHomePaths(processEnv);
  try {
    const { config, settings } = await readClaudeHome(paths);
    const problems = claudeHomeProblems(config, settings, { trustedDirs: [], apiKey: processEnv.ANTHROPIC_API_KEY });
    return {
      ok: true,
      detail:
        problems.length === 0
          ? `${paths.config} is ready`
          : `${paths.config} is not prepared yet (a worker prepares it before each session starts): ${problems.join('; ')}`,
    };
  } catch (error) {
    return { ok: false, detail: describeCause(error), hint: `fix or remove the file; a worker writes what claude needs there` };
  }
};

const checkProbe: Check = (config, { processEnv }) => probeClaude(config.claudeBin, processEnv, CHECK_TIMEOUT_MS * 12);

const checkApi: Check = async (_config, { api }) => {
  try {
    const status = await withTimeout(api.status('/healthz', { authorized: false }), `reaching ${api.baseUrl}`);
    return isSuccessStatus(status)
      ? { ok: true, detail: `${api.baseUrl} answers` }
      : { ok: false, detail: `${api.baseUrl}/healthz answered HTTP ${status}`, hint: 'is MISSION_URL the Mission API?' };
  } catch (error) {
    return {
      ok: false,
      detail: `cannot reach ${api.baseUrl}: ${describeCause(error)}`,
      hint: 'start it with `mission up`, or set MISSION_URL',
    };
  }
};

const checkToken: Check = async (_config, { api, clientEnv }) => {
  let status: number;
  try {
    status = await withTimeout(api.status('/v1/overview', { authorized: true }), `reaching ${api.baseUrl}`);
  } catch {
    return { ok: false, detail: 'not checked: the API is not reachable' };
  }
  const given = clientEnv.token ? 'MISSION_TOKEN' : 'no token (MISSION_TOKEN unset)';
  if (isSuccessStatus(status))
    return { ok: true, detail: clientEnv.token ? 'MISSION_TOKEN accepted' : 'no token needed (the API runs with auth off)' };
  const hint = 'create one with `mission token create --name me --scopes admin` and set MISSION_TOKEN';
  if (status === 401) return { ok: false, detail: `${given} refused (401)`, hint };
  if (status === 403) return { ok: false, detail: `${given} lacks the tasks:read scope (403)`, hint };
  return { ok: false, detail: `GET /v1/overview answered HTTP ${status}` };
};

function findOnPath(command: string, searchPath: string): string | undefined {
  return searchPath
    .split(path.delimiter)
    .map((dir) => path.join(dir, command))
    .find((file) => {
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms ${what}`)), CHECK_TIMEOUT_MS)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
