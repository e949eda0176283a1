import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type MatchContext, slotMatches } from '@mission/contracts';

const run = promisify(execFile);

/**
 * How an agent (a `claude` process, headless or in a PTY) is launched: as which user, with which
 * environment, HOME and working folder. The one place both the task runner and the session host get
 * their command line from.
 *
 * When the agent runs as a user of its own, it cannot read the worker's `/proc/<pid>/environ` (the
 * kernel lets only the same user, or root, read it) nor the files only the worker's user may read.
 * The switch is made by `setpriv` (util-linux) in the child: real and effective uid and gid set, every
 * supplementary group of the worker dropped, then claude exec'd in its place (same pid, so the
 * process group Mission ends is claude's).
 */
export interface AgentIdentity {
  user: string;
  uid: number;
  gid: number;
  /** Its HOME from the passwd database: where claude keeps its config when the slot names none. */
  home: string;
}

/** Where an agent keeps its things, as its role's rules read them: its HOME (`~`) and the CLI's folder when moved. */
export type AgentPlaces = Pick<MatchContext, 'home' | 'claudeDir'>;

/** The places of an agent started with `env` (its HOME is always set: see {@link AgentLauncher.environment}). */
export function agentPlaces(env: Readonly<Record<string, string | undefined>>): AgentPlaces {
  return { home: env.HOME!, ...(env.CLAUDE_CONFIG_DIR ? { claudeDir: env.CLAUDE_CONFIG_DIR } : {}) };
}

/** setpriv's arguments that run `bin` as `identity`: its uid and gid, every supplementary group dropped. */
function asUser(identity: AgentIdentity, bin: string, args: readonly string[]): string[] {
  return ['--reuid', String(identity.uid), '--regid', String(identity.gid), '--clear-groups', '--', bin, ...args];
}

/** The user agents run as when the worker runs as root and MISSION_AGENT_USER is not set (the image creates it). */
export const DEFAULT_AGENT_USER = 'mission-agent';

/** Why the worker cannot run agents as the configured user; the worker does not start. */
export class AgentUserError extends Error {
  override name = 'AgentUserError';
}

/**
 * The user to run agents as: MISSION_AGENT_USER (a name or uid); unset, `mission-agent` when the
 * worker is root (an agent never runs as root by default) and the worker's own user otherwise (only
 * root can switch users). Null means the worker's own user: no separation.
 */
export function agentUserName(setting: string | undefined, workerUid: number): string | null {
  if (setting !== undefined) return setting;
  return workerUid === 0 ? DEFAULT_AGENT_USER : null;
}

/** A passwd line (`name:x:uid:gid:gecos:home:shell`) as an identity. */
export function parsePasswdLine(line: string): AgentIdentity | null {
  const [user, , uid, gid, , home] = line.trim().split(':');
  if (!user || !uid || !gid || home === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return null;
  return { user, uid: Number(uid), gid: Number(gid), home };
}

/**
 * Resolves MISSION_AGENT_USER at worker start: the identity to switch to, or null when agents run as
 * the worker's own user (not set and not root, or set to the worker's own user). Throws an
 * {@link AgentUserError} saying what to do when the user does not exist or cannot be switched to.
 */
export async function resolveAgentIdentity(
  setting: string | undefined,
  workerUid = process.getuid?.() ?? -1,
  source = 'MISSION_AGENT_USER',
): Promise<AgentIdentity | null> {
  const name = agentUserName(setting, workerUid);
  if (name === null) return null;
  const identity = await lookUpUser(name);
  if (!identity) {
    const why =
      setting === undefined
        ? `the worker runs as root, so agents run as '${name}' unless MISSION_AGENT_USER names another user,`
        : `${source} is '${name}',`;
    throw new AgentUserError(
      `${why} and there is no such user on this machine: create it (useradd --system --create-home ${name}) or set MISSION_AGENT_USER`,
    );
  }
  if (identity.uid === workerUid) return null;
  if (workerUid !== 0)
    throw new AgentUserError(
      `${source} is '${name}', but only a worker running as root can start processes as another user (this one runs as uid ${workerUid})`,
    );
  await run('setpriv', ['--version']).catch(() => {
    throw new AgentUserError(`running agents as '${name}' needs setpriv (util-linux) on the PATH`);
  });
  return identity;
}

async function lookUpUser(name: string): Promise<AgentIdentity | null> {
  try {
    const { stdout } = await run('getent', ['passwd', name], { encoding: 'utf8' });
    return parsePasswdLine(stdout.split('\n')[0] ?? '');
  } catch (error) {
    // getent answers 2 for a key it does not know.
    if ((error as { code?: unknown }).code === 2) return null;
    throw error;
  }
}

const SYSTEM_FOLDERS = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib64',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
]);

/** A process to start: what the headless runner and the PTY are given. */
export interface AgentLaunch {
  bin: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface AgentLaunchRequest {
  args: readonly string[];
  cwd: string;
  /** The slot's own `env` (the operator's), laid over what agents inherit. */
  slotEnv: Record<string, string>;
  /** The slot the agent runs on: it decides the agent's user when MISSION_SLOT_AGENT_USERS names it. */
  slot?: string;
  /** What Mission adds for this run (tokens of its MCP servers, …), laid over the rest. */
  launchEnv: Record<string, string>;
  /** For a PTY: TERM and COLORTERM of a colour terminal (a slot's env may still change them). */
  terminal?: boolean;
  /** The worker made `cwd` for this agent (a session's worktree): it is handed over whatever it holds. */
  cwdMadeForAgent?: boolean;
}

export interface AgentLauncherOptions {
  claudeBin: string;
  /** What agents inherit of the worker's environment (config.childEnv: an allow-list). */
  inheritedEnv: Record<string, string>;
  identity: AgentIdentity | null;
  /** Users of the agents of some slots instead of `identity` (MISSION_SLOT_AGENT_USERS), first match wins; null: the worker's own user. */
  slotIdentities?: { slot: string; identity: AgentIdentity | null }[];
  workerUid?: number;
  /** The worker's own HOME: never handed over to an agent user. */
  workerHome?: string;
}

/** Starts agents as the configured user, in an environment built from scratch. */
export class AgentLauncher {
  private readonly workerUid: number;
  private readonly workerHome: string;

  constructor(private readonly deps: AgentLauncherOptions) {
    this.workerUid = deps.workerUid ?? process.getuid?.() ?? -1;
    this.workerHome = path.resolve(deps.workerHome ?? process.env.HOME ?? '/root');
  }

  get identity(): AgentIdentity | null {
    return this.deps.identity;
  }

  /** The user the agents of a slot run as: its MISSION_SLOT_AGENT_USERS entry, else MISSION_AGENT_USER's. */
  identityFor(slot: string | undefined): AgentIdentity | null {
    const mapped = slot === undefined ? undefined : this.deps.slotIdentities?.find((entry) => slotMatches(entry.slot, slot));
    return mapped ? mapped.identity : this.deps.identity;
  }

  /** The HOME of an agent whose slot names none (of a slot given: its own user's). */
  defaultHomeFor(slot: string | undefined): string {
    return this.identityFor(slot)?.home ?? this.deps.inheritedEnv.HOME ?? this.workerHome;
  }

  get defaultHome(): string {
    return this.defaultHomeFor(undefined);
  }

  /** Every default HOME this worker's agents may run with (where their CLI keeps its records). */
  get homes(): string[] {
    return [
      ...new Set([
        this.defaultHome,
        ...(this.deps.slotIdentities ?? []).map((entry) => entry.identity?.home ?? this.deps.inheritedEnv.HOME ?? this.workerHome),
      ]),
    ];
  }

  /** The HOME an agent of this slot runs with (what `~` in its role's rules means), and its CLI's folder when moved. */
  agentPlaces(slot: string, slotEnv: Record<string, string>): AgentPlaces {
    return agentPlaces(this.environment({ slot, slotEnv, launchEnv: {} }));
  }

  /**
   * The command line, working folder and environment of one agent. With an agent user, its HOME
   * (and CLAUDE_CONFIG_DIR) and the working folder are made its own first (see {@link giveToAgent}).
   */
  async prepare(request: AgentLaunchRequest): Promise<AgentLaunch> {
    const env = this.environment(request);
    const identity = this.identityFor(request.slot);
    if (!identity) return { bin: this.deps.claudeBin, args: [...request.args], cwd: request.cwd, env };
    const homes = new Set([env.HOME!, ...(env.CLAUDE_CONFIG_DIR ? [env.CLAUDE_CONFIG_DIR] : [])]);
    for (const dir of homes) if (dir !== request.cwd) await this.giveToAgent(dir, identity, 'whole');
    await this.giveToAgent(request.cwd, identity, request.cwdMadeForAgent ? 'whole' : 'if empty');
    return { bin: 'setpriv', args: asUser(identity, this.deps.claudeBin, request.args), cwd: request.cwd, env };
  }

  /**
   * Runs a command of the worker's in the agents' place, as they run (the slot's user and environment), and
   * resolves with what it printed: git in a session's repository, which is the agent user's (git refuses a
   * repository of another user, "dubious ownership", and the agent must be able to commit in what git makes).
   */
  async runAsAgent(slot: string, slotEnv: Record<string, string>, bin: string, args: readonly string[], cwd: string): Promise<string> {
    const env = this.environment({ slot, slotEnv, launchEnv: {} });
    const identity = this.identityFor(slot);
    const { stdout } = identity
      ? await run('setpriv', asUser(identity, bin, args), { cwd, env, encoding: 'utf8' })
      : await run(bin, [...args], { cwd, env, encoding: 'utf8' });
    return stdout.trim();
  }

  /** Built from scratch: the inherited allow-list, the agent's own HOME/USER, the slot's env, then Mission's. */
  environment(request: Pick<AgentLaunchRequest, 'slot' | 'slotEnv' | 'launchEnv' | 'terminal'>): Record<string, string> {
    const identity = this.identityFor(request.slot);
    return {
      ...this.deps.inheritedEnv,
      HOME: this.defaultHomeFor(request.slot),
      ...(identity ? { USER: identity.user, LOGNAME: identity.user } : {}),
      ...(request.terminal ? { TERM: 'xterm-256color', COLORTERM: 'truecolor' } : {}),
      ...request.slotEnv,
      ...request.launchEnv,
    };
  }

  /**
   * Makes a folder the agent's own: created when missing; one that belongs to the worker's user is handed over
   * (`chown -R`, once: after that it is the agent's) — its HOME and CLI config with everything in them, a working
   * folder only when it is empty or the worker made it for the agent (`'whole'`): a working folder of the worker's
   * user with files in it (the checkout `npm start` was run in, say) is someone's work, whose owner Mission does not
   * change behind their back; the run fails instead, saying how to give it. A folder of a third user is left as it
   * is (its permissions decide). `/`, the system's own folders (/etc, /tmp, /home, …) and the worker's HOME are never
   * handed over: the run fails instead, naming the folder.
   */
  private async giveToAgent(dir: string, identity: AgentIdentity, what: 'whole' | 'if empty'): Promise<void> {
    const resolved = path.resolve(dir);
    const stat = await fs.stat(resolved).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await fs.mkdir(resolved, { recursive: true, mode: 0o700 });
      return fs.stat(resolved);
    });
    if (stat.uid === identity.uid || stat.uid !== this.workerUid) return;
    if (SYSTEM_FOLDERS.has(resolved) || resolved === this.workerHome || this.workerHome.startsWith(`${resolved}/`)) {
      throw new AgentUserError(
        `${resolved} belongs to the worker's user and is not given to the agent user '${identity.user}': give it a folder of its own (chown -R ${identity.user} <folder>)`,
      );
    }
    if (what === 'if empty' && (await fs.readdir(resolved)).length > 0) {
      throw new AgentUserError(
        `${resolved} belongs to the worker's user and holds files, so Mission does not give it to the agent user '${identity.user}' on its own: give it (chown -R ${identity.user} ${resolved}), point the slot's cwd at a folder of the agent user's, or run agents as the worker's user (MISSION_AGENT_USER)`,
      );
    }
    await run('chown', ['-R', `${identity.uid}:${identity.gid}`, '--', resolved]);
  }
}
