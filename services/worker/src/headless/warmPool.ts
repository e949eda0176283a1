import { randomUUID } from 'node:crypto';
import { type RoleRules } from '@mission/contracts';
import { type Database, type Logger, roleInForce, warmPoolSlotRows } from '@mission/store';
import type { AgentLauncher } from '../agentProcess.ts';
import { combineLaunches } from '../cliLaunch.ts';
import type { ReservedPrompts, PermissionPromptServer } from '../permissions/promptServer.ts';
import type { SlotRow } from '../runnableSlot.ts';
import type { AgentSpawner } from '../spawner/spawner.ts';
import { type HeadlessProcess, spawnHeadless } from './headlessRunner.ts';
import { isCliSystemMessage } from './streamJson.ts';
import { reportsCostTo, taskAgentRequest, withClaudeSession } from './taskLaunch.ts';

/**
 * A warm agent handed to a task: its process (waiting for the prompt), its permission-prompt route, not yet bound to
 * a task, and the Claude session id it was started with (`--session-id`).
 */
export interface WarmAgent {
  process: HeadlessProcess;
  prompts: ReservedPrompts;
  claudeSessionId: string;
}

export interface WarmPoolsOptions {
  db: Database;
  launcher: AgentLauncher;
  /** Starts the agent processes, off the worker's event loop. */
  spawner: AgentSpawner;
  prompts: PermissionPromptServer;
  logger: Logger;
  /** The slots this worker serves; undefined = all. */
  workerSlots: string[] | undefined;
}

/** A slot's warm pool settings (`warmPool` of the slot). */
export interface WarmPoolConfig {
  size: number;
  idleSeconds: number;
}

/** After a warm agent dies before it was used, the next one of its slot starts after this delay, doubled each time up to the cap. */
const RESTART_BACKOFF_MS = 1_000;
const RESTART_BACKOFF_CAP_MS = 60_000;

/**
 * What a warm agent was started with: a task may take it only when its slot and role would start the
 * very same process now. Everything that goes in a cold launch's arguments and environment comes from
 * these, but for the permission-prompt route (bound at hand-off) and the prompt itself (written at hand-off).
 */
export function warmFingerprint(slot: Pick<SlotRow, 'model' | 'args' | 'cwd' | 'env'>, rules: RoleRules): string {
  return JSON.stringify({ model: slot.model, args: slot.args, cwd: slot.cwd, env: slot.env, rules });
}

/**
 * Why a slot's tasks cannot be given warm agents, or null when they can. A role with Mission tools gives
 * its agent a child token minted for the task, in the CLI's environment and used by the CLI when it connects
 * to Mission's MCP server at start: it cannot be known before the task is.
 */
export function warmUnsupported(rules: Pick<RoleRules, 'missionTools'>): string | null {
  return rules.missionTools.length > 0
    ? 'its role gives Mission tools, whose token is minted for the task and read by the CLI at start'
    : null;
}

interface Idle {
  agent: WarmAgent;
  fingerprint: string;
  timer: NodeJS.Timeout;
}

/** One slot's pool: idle agents, the ones being started, and what new ones are started with. */
class SlotPool {
  readonly idle: Idle[] = [];
  starting = 0;
  /**
   * Agents handed to tasks whose replacement waits until their model request is out (see `WarmPools.take`): counted
   * with the pool's own until then, so that nothing fills it meanwhile (a reconcile at a heartbeat would start one).
   */
  awaitingRefill = 0;
  failures = 0;
  private retry: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    readonly slotId: string,
    public config: WarmPoolConfig,
    public slot: SlotRow,
    public rules: RoleRules,
    private readonly owner: WarmPools,
  ) {}

  get fingerprint(): string {
    return warmFingerprint(this.slot, this.rules);
  }

  /** Starts agents until idle + starting + awaiting their refill reaches the pool's size (not while a restart backoff runs). */
  fill(): void {
    if (this.closed || this.retry || warmUnsupported(this.rules)) return;
    while (this.idle.length + this.starting + this.awaitingRefill < this.config.size) {
      this.starting += 1;
      void this.owner
        .startOne(this)
        .catch((error: unknown) => {
          this.owner.logger.warn({ err: error, slot: this.slotId }, 'could not start a warm agent');
          this.backOff();
        })
        .finally(() => (this.starting -= 1));
    }
  }

  /** A warm agent died unused or could not start: the next start waits, longer each time in a row. */
  backOff(): void {
    if (this.closed || this.retry) return;
    const delay = Math.min(RESTART_BACKOFF_MS * 2 ** this.failures, RESTART_BACKOFF_CAP_MS);
    this.failures += 1;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.fill();
    }, delay);
    this.retry.unref();
  }

  /** Ends every idle agent (a changed slot or role, the worker closing, the pool switched off). */
  drain(): void {
    for (const entry of this.idle.splice(0)) endIdle(entry);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.drain();
  }
}

function endIdle(entry: Idle): void {
  clearTimeout(entry.timer);
  entry.agent.prompts.release();
  entry.agent.process.kill();
}

/**
 * Warm agents: per slot with a `warmPool`, `size` `claude -p --input-format stream-json` processes started
 * with the slot's settings and waiting for their prompt, so a task is handed to a process that is already
 * up. Each is used for one task only; the pool refills in the background once the prompt is written; one
 * idle past `idleSeconds` is ended and replaced. See docs/warm-agents.md.
 */
export class WarmPools {
  private readonly pools = new Map<string, SlotPool>();
  private readonly handed = new Map<string, number>();
  private closed = false;
  readonly logger: Logger;

  constructor(private readonly deps: WarmPoolsOptions) {
    this.logger = deps.logger.child({ component: 'warm-pool' });
  }

  /** Brings the pools in line with the slots' `warmPool` settings (at start, then on each heartbeat). */
  async reconcile(): Promise<void> {
    if (this.closed) return;
    const rows = await warmPoolSlotRows(this.deps.db);
    const wanted = rows.filter((row) => row.warmPool && (!this.deps.workerSlots || this.deps.workerSlots.includes(row.id)));
    for (const [slotId, pool] of this.pools) {
      if (!wanted.some((row) => row.id === slotId)) {
        pool.close();
        this.pools.delete(slotId);
      }
    }
    for (const slot of wanted) {
      const { rules } = await roleInForce(this.deps.db, slot.role);
      this.update(slot, rules);
    }
  }

  /**
   * An agent of the slot started with the settings a cold start would use now, or undefined (no pool,
   * none ready, or the slot or its role changed since: those agents are ended and new ones started).
   */
  take(slot: SlotRow, rules: RoleRules): WarmAgent | undefined {
    const pool = this.pools.get(slot.id);
    if (!pool || this.closed || warmUnsupported(rules)) return undefined;
    const fingerprint = warmFingerprint(slot, rules);
    if (fingerprint !== pool.fingerprint) {
      this.update(slot, rules);
      return undefined;
    }
    let entry: Idle | undefined;
    while ((entry = pool.idle.shift())) {
      if (!entry.agent.process.hasExited() && entry.fingerprint === fingerprint) break;
      endIdle(entry);
    }
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    pool.failures = 0;
    this.handed.set(slot.id, (this.handed.get(slot.id) ?? 0) + 1);
    const { process } = entry.agent;
    // The refill starts once this agent's first model request is out: its first message that is not the CLI's own
    // (`system`: its start, a retry) comes with the model's answer; or once it has ended. A claude starting beside
    // it took a core from it while it prepared that request (on 2 cores, prompt → request 120–150 ms alone,
    // 190–345 ms with a refill started at the prompt).
    pool.awaitingRefill += 1;
    const refill = once(() => {
      pool.awaitingRefill -= 1;
      pool.fill();
    });
    // Its end refills too, driven or not (a task cancelled before its prompt was written).
    void process.exited.then(refill, refill);
    const drive: HeadlessProcess['drive'] = (options) =>
      process.drive({
        ...options,
        onMessage: (message) => {
          if (!isCliSystemMessage(message)) refill();
          return options.onMessage(message);
        },
      });
    return { ...entry.agent, process: Object.assign(Object.create(process) as HeadlessProcess, { drive }) };
  }

  /** Ends every warm agent; no more are started. */
  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  /** How many agents of a slot are idle and waiting (for tests and the benchmark). */
  ready(slotId: string): number {
    return this.pools.get(slotId)?.idle.filter((entry) => !entry.agent.process.hasExited()).length ?? 0;
  }

  /** How many agents of a slot were handed to tasks since the worker started. */
  handedOut(slotId: string): number {
    return this.handed.get(slotId) ?? 0;
  }

  private update(slot: SlotRow, rules: RoleRules): void {
    const config = slot.warmPool;
    // A reconcile still under way when the worker closed starts nothing.
    if (!config || this.closed) return;
    let pool = this.pools.get(slot.id);
    if (!pool) {
      pool = new SlotPool(slot.id, config, slot, rules, this);
      this.pools.set(slot.id, pool);
    }
    const changed = warmFingerprint(slot, rules) !== pool.fingerprint || config.idleSeconds !== pool.config.idleSeconds;
    pool.slot = slot;
    pool.rules = rules;
    pool.config = config;
    if (changed) pool.drain();
    const unsupported = warmUnsupported(rules);
    if (unsupported) {
      this.logger.debug({ slot: slot.id, why: unsupported }, 'no warm agents for this slot');
      return;
    }
    // A smaller pool: the surplus idle agents are ended.
    for (const entry of pool.idle.splice(config.size)) endIdle(entry);
    pool.fill();
  }

  /** Starts one agent for the pool with its current settings and keeps it idle until a task takes it. */
  async startOne(pool: SlotPool): Promise<void> {
    const { slot, rules, config } = pool;
    const fingerprint = pool.fingerprint;
    const prompts = this.deps.prompts.reserve(reportsCostTo(this.deps.launcher, slot));
    const claudeSessionId = randomUUID();
    const launch = withClaudeSession(combineLaunches([prompts], rules.allow), claudeSessionId);
    let process: HeadlessProcess;
    try {
      const started = await this.deps.launcher.prepare(taskAgentRequest(slot, rules, launch, 'stream-json'));
      process = spawnHeadless(started, 'stream-json', this.deps.spawner);
      prompts.caller.calledFrom(process.program);
      // Idle (ready to be taken) once it runs.
      const running = await process.started;
      if ('error' in running) throw new Error(`the warm agent could not be started: ${running.error}`);
    } catch (error) {
      prompts.release();
      throw error;
    }
    const entry: Idle = {
      agent: { process, prompts, claudeSessionId },
      fingerprint,
      timer: setTimeout(() => {
        // Idle too long: a fresh one instead.
        if (!remove()) return;
        this.logger.debug({ slot: slot.id, pid: process.pid }, 'warm agent idle past its limit: replaced');
        endIdle(entry);
        pool.fill();
      }, config.idleSeconds * 1_000),
    };
    entry.timer.unref();
    const remove = () => {
      const at = pool.idle.indexOf(entry);
      if (at < 0) return false;
      pool.idle.splice(at, 1);
      return true;
    };
    void process.exited.then(({ code, signal }) => {
      // Died while waiting (not ended by the pool, not handed to a task): its slot may not start at all.
      if (!remove()) return;
      clearTimeout(entry.timer);
      prompts.release();
      this.logger.warn(
        { slot: slot.id, pid: process.pid, code, signal },
        'a warm agent exited before it was used: starting another after a pause',
      );
      pool.backOff();
    });
    if (pool.closed || fingerprint !== pool.fingerprint) return endIdle(entry);
    pool.idle.push(entry);
  }
}

function once(run: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    run();
  };
}
