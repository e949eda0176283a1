import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { inheritedAgentEnv } from '@mission/contracts';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** A comma-separated setting as its non-empty items. */
const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Every environment variable Mission's services read, in one place. The env table of docs/configuration.md
 * mirrors this schema, and the clients' own (`MISSION_URL`, `MISSION_TOKEN`, `MISSION_DETACH_KEYS`); beyond
 * them, only the process's surroundings are read where they are used (`HOME`, `NO_COLOR`, the environment a
 * spawned process inherits).
 */
export const envSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: int(7070),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalString,
  REDIS_URL: optionalString,
  MISSION_DATA_DIR: z.string().default('.mission'),
  MISSION_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
    .default('mission'),
  MISSION_SLOTS_FILE: z.string().default('slots.yaml'),
  MISSION_SLOT_ROOTS: optionalString,
  MISSION_CLAUDE_BIN: z.string().default('claude'),
  MISSION_AGENT_USER: optionalString,
  MISSION_SLOT_AGENT_USERS: z
    .string()
    .optional()
    .transform((value) => list(value))
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[a-z0-9*][a-z0-9_*-]*=[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'slot=user pairs, e.g. deploy=agent-deploy,review-*=agent-review'),
      ),
    ),
  MISSION_WORKER_ID: optionalString,
  MISSION_WORKER_CONCURRENCY: int(4, 1),
  MISSION_WORKER_MAX_SESSIONS: int(20, 0),
  MISSION_SESSION_START_TIMEOUT_MS: int(120_000, 1_000),
  MISSION_SESSION_PICKUP_TIMEOUT_MS: int(30_000, 1_000),
  MISSION_COST_REPORT_MS: int(5_000, 0).refine((ms) => ms === 0 || ms >= 1_000, '0 (off) or at least 1000'),
  MISSION_WORKER_SLOTS: optionalString,
  MISSION_HEARTBEAT_MS: int(5_000, 100),
  MISSION_WORKER_TIMEOUT_MS: int(30_000, 500),
  MISSION_JOB_LOCK_MS: int(30_000, 500),
  MISSION_TASK_TIMEOUT_MS: int(30 * 60_000, 1_000),
  MISSION_ASK_TIMEOUT_MS: int(5 * 60_000, 1_000),
  MISSION_SHUTDOWN_GRACE_MS: int(30_000, 0),
  MISSION_MAX_PROMPT_CHARS: int(100_000, 1),
  MISSION_PERMISSIONS_FILE: z.string().default('permissions.yaml'),
  MISSION_APPROVAL_TIMEOUT_MS: int(15 * 60_000, 1_000),
  MISSION_APPROVAL_SECRET: optionalString,
  MISSION_PUBLIC_URL: optionalString,
  MISSION_ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((value) => list(value))
    .pipe(
      z.array(
        z
          .url({ protocol: /^https?$/ })
          .refine(
            (url) => new URL(url).origin === url.replace(/\/+$/, ''),
            'an origin: scheme, host and port only (https://console.example.com)',
          ),
      ),
    ),
  MISSION_API_URL: optionalString,
  MISSION_AUTH: z.enum(['on', 'off']).default('on'),
  MISSION_RATE_LIMIT_PER_MINUTE: int(600, 1),
  MISSION_TOKEN_CACHE_TTL_MS: int(10_000, 0),
  MISSION_FAILED_AUTH_LIMIT: int(20, 1),
  MISSION_FAILED_AUTH_WINDOW_MS: int(15 * 60_000, 1_000),
  MISSION_TRUST_PROXY: z.enum(['on', 'off']).default('off'),
  MISSION_MCP_ALLOWED_HOSTS: optionalString.refine(
    (value) => list(value).every((host) => host === '*' || URL.canParse(`http://${host}`)),
    'a comma-separated list of host names such as mission.example.com, or *',
  ),
  MISSION_MCP_ALLOWED_ORIGINS: optionalString.refine(
    (value) => list(value).every((origin) => origin === '*' || (URL.canParse(origin) && new URL(origin).origin !== 'null')),
    'a comma-separated list of origins such as https://console.example.com, or *',
  ),
  MISSION_MCP_SESSION_TTL_MS: int(30 * 60_000, 1_000),
  MISSION_RETENTION_DAYS: int(0, 0),
  MISSION_NOTIFICATIONS_FILE: z.string().default('notifications.yaml'),
  MISSION_NOTIFY_ATTEMPTS: int(8, 1),
  MISSION_NOTIFY_RETRY_MS: int(1_000, 10),
  MISSION_NOTIFY_WORKER: z.enum(['on', 'off']).default('on'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  queuePrefix: string;
  slotsFile: string;
  /** Folders (absolute) a slot written over the API may have its cwd in. */
  slotRoots: string[];
  claudeBin: string;
  /** The user claude runs as (a name or uid); undefined: the worker decides (see agentIdentity.ts). */
  agentUser: string | undefined;
  /** Users for the agents of some slots instead of `agentUser` (MISSION_SLOT_AGENT_USERS: slot name or glob → user), first match wins. */
  slotAgentUsers: { slot: string; user: string }[];
  workerId: string;
  workerConcurrency: number;
  maxSessions: number;
  /** A session still `starting` this long after a worker took it is ended (claude never came up). */
  sessionStartTimeoutMs: number;
  /** How long a spawn or resume waits for a worker to take the session before it answers 503 (the session `lost`). */
  sessionPickupTimeoutMs: number;
  /** How often an agent's claude (a session's, a task's) reports its running cost to its worker (its OpenTelemetry metrics); 0: only as it ends. */
  costReportMs: number;
  /** The slots whose tasks this worker takes; undefined = all. */
  workerSlots: string[] | undefined;
  heartbeatMs: number;
  /** A worker without a heartbeat for this long is lost: its sessions end, its tasks are recovered. */
  workerTimeoutMs: number;
  /** BullMQ job lock: a job whose worker stopped renewing it for this long is stalled and comes back. */
  jobLockMs: number;
  taskTimeoutMs: number;
  askTimeoutMs: number;
  shutdownGraceMs: number;
  maxPromptChars: number;
  permissionsFile: string;
  approvalTimeoutMs: number;
  /** Key of the HMAC on approval links; random per process when not set (links then die with it). */
  approvalSecret: string | undefined;
  /** Where people reach the API (for approval links); http://HOST:PORT when not set. */
  publicUrl: string | undefined;
  /**
   * Origins besides the API's own (its Host, MISSION_PUBLIC_URL) whose pages may write with the console's
   * cookie: a request signed in by the cookie from any other origin is refused (403).
   */
  allowedOrigins: string[];
  /** Where workers' claude processes reach the API's MCP server (child sessions of manager roles). */
  apiUrl: string;
  auth: boolean;
  rateLimitPerMinute: number;
  /** How long an API process keeps a verified token before it looks it up again; 0 = every request looks it up. */
  tokenCacheTtlMs: number;
  /** Failed sign-ins one client address may make per `failedAuthWindowMs` (then 429). */
  failedAuthLimit: number;
  failedAuthWindowMs: number;
  /** Behind a proxy: the client address is taken from X-Forwarded-For. */
  trustProxy: boolean;
  /** Host names `/mcp` answers besides the local ones and those of the public and API URLs; `*` = any. */
  mcpAllowedHosts: string[];
  /** Origins (scheme://host:port) whose web pages may call `/mcp` besides those on allowed hosts; `*` = any. */
  mcpAllowedOrigins: string[];
  /** An MCP session over HTTP with no request for this long (and no stream open) is closed. */
  mcpSessionTtlMs: number;
  /** Tasks and sessions that ended this many days ago are deleted with their events, hourly; 0 keeps everything. */
  retentionDays: number;
  notificationsFile: string;
  /** Attempts of a notification delivery, and the first retry's delay (doubling after it). */
  notifyAttempts: number;
  notifyRetryMs: number;
  /** Whether this API process sends deliveries (it always derives them from events). */
  notifyWorker: boolean;
  /** What of the process's environment the claude processes the worker starts inherit: an allow-list (agentEnvironment.ts). */
  childEnv: Record<string, string>;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** The shortest approval secret start-up accepts with auth on (an HMAC key someone could guess opens every approval). */
export const MIN_APPROVAL_SECRET_CHARS = 32;
/** Words of the example values shipped in manifests and docs: a secret containing one was never really set. */
const PLACEHOLDER_WORDS = [
  'change-me',
  'changeme',
  'replace-me',
  'replaceme',
  'placeholder',
  'example',
  'secret-here',
  'your-secret',
  'xxxxxxxx',
];

/** Why an approval link secret must not be used with auth on, or undefined when it will do. */
export function approvalSecretProblem(secret: string | undefined): string | undefined {
  const fix = `set MISSION_APPROVAL_SECRET to a random string of at least ${MIN_APPROVAL_SECRET_CHARS} characters (e.g. openssl rand -base64 48), the same on every API replica`;
  if (!secret) return `MISSION_APPROVAL_SECRET is not set, so approval links cannot be trusted across restarts; ${fix}`;
  const lower = secret.toLowerCase();
  const placeholder = PLACEHOLDER_WORDS.find((word) => lower.includes(word));
  if (placeholder)
    return `MISSION_APPROVAL_SECRET is a placeholder ('${placeholder}'): anyone who knows it can forge approval links; ${fix}`;
  if (secret.length < MIN_APPROVAL_SECRET_CHARS)
    return `MISSION_APPROVAL_SECRET has ${secret.length} characters: too short to keep approval links from being forged; ${fix}`;
  return undefined;
}

/** Parses the environment once into a typed, validated config object. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  if (e.MISSION_WORKER_TIMEOUT_MS <= e.MISSION_HEARTBEAT_MS) {
    throw new ConfigError([
      `MISSION_WORKER_TIMEOUT_MS (${e.MISSION_WORKER_TIMEOUT_MS}) must be longer than MISSION_HEARTBEAT_MS (${e.MISSION_HEARTBEAT_MS})`,
    ]);
  }
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: path.resolve(e.MISSION_DATA_DIR),
    queuePrefix: e.MISSION_QUEUE_PREFIX,
    slotsFile: path.resolve(e.MISSION_SLOTS_FILE),
    slotRoots:
      e.MISSION_SLOT_ROOTS === undefined
        ? [os.homedir(), os.tmpdir(), '/workspace', process.cwd()]
        : list(e.MISSION_SLOT_ROOTS).map((root) => path.resolve(root)),
    claudeBin: e.MISSION_CLAUDE_BIN,
    agentUser: e.MISSION_AGENT_USER,
    slotAgentUsers: e.MISSION_SLOT_AGENT_USERS.map((pair) => {
      const [slot, user] = pair.split('=') as [string, string];
      return { slot, user };
    }),
    // Random part: a container restarted in the same pod has the same hostname and often the same pid.
    workerId: e.MISSION_WORKER_ID ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    workerConcurrency: e.MISSION_WORKER_CONCURRENCY,
    maxSessions: e.MISSION_WORKER_MAX_SESSIONS,
    sessionStartTimeoutMs: e.MISSION_SESSION_START_TIMEOUT_MS,
    costReportMs: e.MISSION_COST_REPORT_MS,
    sessionPickupTimeoutMs: e.MISSION_SESSION_PICKUP_TIMEOUT_MS,
    workerSlots: e.MISSION_WORKER_SLOTS === undefined ? undefined : list(e.MISSION_WORKER_SLOTS),
    heartbeatMs: e.MISSION_HEARTBEAT_MS,
    workerTimeoutMs: e.MISSION_WORKER_TIMEOUT_MS,
    jobLockMs: e.MISSION_JOB_LOCK_MS,
    taskTimeoutMs: e.MISSION_TASK_TIMEOUT_MS,
    askTimeoutMs: e.MISSION_ASK_TIMEOUT_MS,
    shutdownGraceMs: e.MISSION_SHUTDOWN_GRACE_MS,
    maxPromptChars: e.MISSION_MAX_PROMPT_CHARS,
    permissionsFile: path.resolve(e.MISSION_PERMISSIONS_FILE),
    approvalTimeoutMs: e.MISSION_APPROVAL_TIMEOUT_MS,
    approvalSecret: e.MISSION_APPROVAL_SECRET,
    publicUrl: e.MISSION_PUBLIC_URL?.replace(/\/+$/, ''),
    allowedOrigins: e.MISSION_ALLOWED_ORIGINS.map((url) => new URL(url).origin),
    apiUrl: (e.MISSION_API_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    auth: e.MISSION_AUTH === 'on',
    rateLimitPerMinute: e.MISSION_RATE_LIMIT_PER_MINUTE,
    tokenCacheTtlMs: e.MISSION_TOKEN_CACHE_TTL_MS,
    failedAuthLimit: e.MISSION_FAILED_AUTH_LIMIT,
    failedAuthWindowMs: e.MISSION_FAILED_AUTH_WINDOW_MS,
    trustProxy: e.MISSION_TRUST_PROXY === 'on',
    mcpAllowedHosts: list(e.MISSION_MCP_ALLOWED_HOSTS),
    mcpAllowedOrigins: list(e.MISSION_MCP_ALLOWED_ORIGINS),
    mcpSessionTtlMs: e.MISSION_MCP_SESSION_TTL_MS,
    retentionDays: e.MISSION_RETENTION_DAYS,
    notificationsFile: path.resolve(e.MISSION_NOTIFICATIONS_FILE),
    notifyAttempts: e.MISSION_NOTIFY_ATTEMPTS,
    notifyRetryMs: e.MISSION_NOTIFY_RETRY_MS,
    notifyWorker: e.MISSION_NOTIFY_WORKER === 'on',
    childEnv: inheritedAgentEnv(env),
  };
}
