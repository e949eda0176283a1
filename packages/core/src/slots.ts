import path from 'node:path';
import {
  BadRequestError,
  NotFoundError,
  parseInput,
  type Slot,
  type SlotConfig,
  slotConfigSchema,
  slotIdSchema,
  type SlotPause,
} from '@mission/contracts';
import {
  activeSlotPause,
  type Database,
  type EventLog,
  listSlotPauses,
  listSlotRows,
  queuedTaskIds,
  slotDailyBudget,
  slotExists,
  slotIds,
  SlotPauses,
  type SlotPauseRow,
  slotRow,
  type SlotRow,
  type TaskJobData,
  upsertSlot,
} from '@mission/store';
import type { Queue } from 'bullmq';
import { recordAudit } from './audit.ts';
import { slotPolicyProblems } from './slotPolicy.ts';
import { readSlotsFile } from './slotsFile.ts';

/** A slot found by {@link SlotService.assertKnown}, with its daily budget (null: none). */
export interface KnownSlot {
  dailyBudgetUsd: number | null;
}

export class SlotService {
  private readonly pauses: SlotPauses;

  constructor(
    private readonly db: Database,
    /** Folders a slot written over the API may run in (MISSION_SLOT_ROOTS). */
    private readonly roots: readonly string[],
    private readonly deps: { events: EventLog; taskQueue: Queue<TaskJobData> },
  ) {
    this.pauses = new SlotPauses({ db, events: deps.events });
  }

  async list(): Promise<Slot[]> {
    const pauses = new Map((await listSlotPauses(this.db)).map((pause) => [pause.slot, pause]));
    return (await listSlotRows(this.db)).map((row) => toSlot(row, pauses.get(row.id)));
  }

  async get(id: string): Promise<Slot> {
    const row = await slotRow(this.db, id);
    if (!row) throw new NotFoundError('slot', id);
    return toSlot(row, await activeSlotPause(this.db, id));
  }

  /**
   * Ends a usage-limit pause before its reset (an admin who knows the limit is lifted, or gave another key):
   * the slot's waiting tasks are offered at once. A slot without a pause is answered as it is.
   */
  async resume(id: string, by: string): Promise<Slot> {
    const row = await slotRow(this.db, id);
    if (!row) throw new NotFoundError('slot', id);
    const ended = await this.pauses.resume(id, by);
    if (ended) {
      for (const taskId of await queuedTaskIds(this.db, id)) {
        const job = await this.deps.taskQueue.getJob(taskId);
        if (job && (await job.isDelayed())) await job.promote();
      }
      await recordAudit(this.db, {
        kind: 'slot_resumed',
        actor: by,
        target: id,
        details: { pausedUntil: ended.pausedUntil.toISOString(), reason: ended.reason },
      });
    }
    return toSlot(row);
  }

  /** Rejects input (a task, a session) naming a slot that does not exist, listing the ones that do. */
  async assertKnown(id: string, what: string): Promise<KnownSlot> {
    // The daily budget comes with the answer: what accepts new work on the slot checks it next.
    const dailyBudgetUsd = await slotDailyBudget(this.db, id);
    if (dailyBudgetUsd !== undefined) return { dailyBudgetUsd };
    throw await this.unknownSlot(id, what);
  }

  /** The rejection of input (a task, a session) naming the slot `id` that does not exist, listing the ones that do. */
  async unknownSlot(id: string, what: string): Promise<BadRequestError> {
    const known = await slotIds(this.db);
    return new BadRequestError(`invalid ${what}: unknown slot '${id}'; known slots: ${known.join(', ') || 'none'}`);
  }

  /** Creates or replaces a slot set over the API. Its cwd must be absolute: there is no folder to resolve it against. */
  async put(id: string, body: unknown, by = 'api'): Promise<Slot> {
    const slotId = parseInput(slotIdSchema, id, 'slot id');
    const config = parseInput(slotConfigSchema, body, 'slot');
    if (!path.isAbsolute(config.cwd)) throw new BadRequestError(`invalid slot: cwd must be an absolute path, got '${config.cwd}'`);
    const problems = slotPolicyProblems(config, this.roots);
    if (problems.length > 0) throw new BadRequestError(`invalid slot: ${problems.join('; ')}`);
    return this.upsert(slotId, { ...config, cwd: path.normalize(config.cwd) }, 'api', by);
  }

  /**
   * Loads `slots.yaml` into the database. Without the file, a `default` slot running in `fallbackCwd`
   * is created if no slot of that name exists yet, so a fresh install can take tasks at once.
   */
  async syncFromFile(file: string, fallbackCwd: string): Promise<{ synced: string[]; fromFile: boolean }> {
    const fromFile = readSlotsFile(file);
    if (!fromFile) {
      const existing = await slotExists(this.db, 'default');
      if (!existing) await this.upsert('default', slotConfigSchema.parse({ cwd: fallbackCwd }), 'file', 'default');
      return { synced: existing ? [] : ['default'], fromFile: false };
    }
    for (const [id, config] of Object.entries(fromFile)) await this.upsert(id, config, 'file', `file:${file}`);
    return { synced: Object.keys(fromFile), fromFile: true };
  }

  private async upsert(id: string, config: SlotConfig, source: Slot['source'], by: string): Promise<Slot> {
    const values = {
      role: config.role,
      description: config.description,
      cwd: config.cwd,
      model: config.model ?? null,
      args: config.args,
      env: config.env,
      maxConcurrency: config.maxConcurrency ?? null,
      warmPool: config.warmPool ?? null,
      dailyBudgetUsd: config.dailyBudgetUsd ?? null,
      treeBudgetUsd: config.treeBudgetUsd ?? null,
      workspace: config.workspace,
      keepWorkspace: config.keepWorkspace,
      autoResume: config.autoResume,
      source,
    };
    const row = await upsertSlot(this.db, id, values);
    // The env is left out of the audit trail: it may hold secrets.
    const { env: _env, args: _args, ...recorded } = values;
    await recordAudit(this.db, { kind: 'slot_changed', actor: by, target: id, details: recorded });
    return toSlot(row, await activeSlotPause(this.db, id));
  }
}

export function toSlot(row: SlotRow, pause?: SlotPauseRow): Slot {
  return {
    id: row.id,
    role: row.role,
    description: row.description,
    cwd: row.cwd,
    ...(row.model ? { model: row.model } : {}),
    args: row.args,
    env: row.env,
    ...(row.maxConcurrency ? { maxConcurrency: row.maxConcurrency } : {}),
    ...(row.warmPool ? { warmPool: row.warmPool } : {}),
    ...(row.dailyBudgetUsd ? { dailyBudgetUsd: row.dailyBudgetUsd } : {}),
    ...(row.treeBudgetUsd ? { treeBudgetUsd: row.treeBudgetUsd } : {}),
    workspace: row.workspace as Slot['workspace'],
    keepWorkspace: row.keepWorkspace,
    autoResume: row.autoResume,
    source: row.source as Slot['source'],
    pause: pause ? slotPause(pause) : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function slotPause(row: SlotPauseRow): SlotPause {
  return {
    until: row.pausedUntil.toISOString(),
    reason: row.reason,
    by: { kind: row.ownerKind as SlotPause['by']['kind'], id: row.ownerId },
    since: row.createdAt.toISOString(),
  };
}
