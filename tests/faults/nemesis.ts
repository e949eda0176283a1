import type { Cluster, Node } from './cluster.ts';
import { FLEET_TIMING } from './cluster.ts';

/** Long enough past the worker timeout that the fleet declares a silent worker lost before the fault heals. */
export const FAULT_MS = Number(FLEET_TIMING.MISSION_WORKER_TIMEOUT_MS) + 4_000;

/** One fault: `inject` breaks something and resolves what heals it. */
export interface Fault {
  name: string;
  /** What it does, for the report. */
  description: string;
  inject(cluster: Cluster): Promise<() => Promise<void>>;
}

/** The worker running the most tasks right now (the one a fault hurts most), w1 when none runs any. */
export async function busiestWorker(cluster: Cluster): Promise<Node> {
  const rows = await cluster.db<{ worker_id: string; n: number }[]>`
    select worker_id, count(*)::int as n from tasks where status = 'running' and mode <> 'coordinate' and worker_id is not null
    group by worker_id order by n desc`.catch(() => []);
  return cluster.workers.find((w) => w.name === rows[0]?.worker_id) ?? cluster.workers[0]!;
}

const partitionWorker = (name: string, networks: ('redis' | 'postgres')[]): Fault => ({
  name,
  description: `the busiest worker loses ${networks.join(' and ')} for ${FAULT_MS / 1000} s`,
  async inject(cluster) {
    const worker = await busiestWorker(cluster);
    cluster.topology.partition(worker.machine, networks);
    return async () => cluster.topology.heal(worker.machine, networks);
  },
});

export const FAULTS: Fault[] = [
  partitionWorker('partition-worker-redis', ['redis']),
  partitionWorker('partition-worker-postgres', ['postgres']),
  partitionWorker('partition-worker-both', ['redis', 'postgres']),
  {
    name: 'partition-api',
    description: `the first API loses Redis and Postgres for ${FAULT_MS / 1000} s (clients still reach it)`,
    async inject(cluster) {
      const api = cluster.apis[0]!;
      cluster.topology.partition(api.machine, ['redis', 'postgres']);
      return async () => cluster.topology.heal(api.machine, ['redis', 'postgres']);
    },
  },
  {
    name: 'pause-worker',
    description: `SIGSTOP the busiest worker process for ${FAULT_MS / 1000} s (past the worker timeout), then SIGCONT`,
    async inject(cluster) {
      const worker = await busiestWorker(cluster);
      await cluster.pause(worker);
      return () => cluster.resume(worker);
    },
  },
  {
    name: 'kill-worker',
    description: 'kill -9 every process of the busiest worker machine; started again at the heal',
    async inject(cluster) {
      const worker = await busiestWorker(cluster);
      await cluster.crash(worker);
      return () => worker.restart();
    },
  },
  {
    name: 'restart-redis-empty',
    description: 'kill -9 Redis (no persistence) and start it again empty',
    async inject(cluster) {
      await cluster.redis.restartEmpty();
      return async () => {
        /* nothing to heal: the restart was the whole fault */
      };
    },
  },
  {
    name: 'restart-postgres',
    description: 'kill -9 Postgres and start it again (it recovers from its WAL)',
    async inject(cluster) {
      await cluster.postgres.restart(() => cluster.topology.pidsOf(cluster.postgresMachine));
      return async () => {
        /* nothing to heal: the restart was the whole fault */
      };
    },
  },
];

export const faultNamed = (name: string): Fault => {
  const fault = FAULTS.find((f) => f.name === name);
  if (!fault) throw new Error(`no fault named ${name}; there are ${FAULTS.map((f) => f.name).join(', ')}`);
  return fault;
};

/** A small deterministic generator (mulberry32), so a mix is the same for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * `count` mixes of `size` faults each, chosen by the seed and each a different set of faults: a mix is injected
 * together and healed together. The same seed gives the same mixes.
 */
export function mixes(seed: number, count: number, size = 2): Fault[] {
  if (size > FAULTS.length || count > combinations(FAULTS.length, size))
    throw new Error(`there are no ${count} different mixes of ${size} of the ${FAULTS.length} faults`);
  const random = seeded(seed);
  const chosen = new Map<string, Fault[]>();
  while (chosen.size < count) {
    const pool = [...FAULTS];
    const faults: Fault[] = [];
    while (faults.length < size) faults.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
    const names = faults
      .map((fault) => fault.name)
      .sort()
      .join(' + ');
    if (!chosen.has(names)) chosen.set(names, faults);
  }
  return [...chosen.values()].map((faults) => together(faults, seed));
}

/** How many sets of `k` there are among `n`. */
const combinations = (n: number, k: number): number => (k === 0 ? 1 : (combinations(n - 1, k - 1) * n) / k);

/** The faults injected together and healed together, in the reverse order. */
function together(chosen: Fault[], seed: number): Fault {
  return {
    name: `mix(${chosen.map((f) => f.name).join(' + ')})`,
    description: `seed ${seed}: ${chosen.map((f) => f.description).join('; ')}`,
    async inject(cluster) {
      const heals: (() => Promise<void>)[] = [];
      for (const fault of chosen) heals.push(await fault.inject(cluster));
      return async () => {
        for (const heal of heals.reverse()) await heal();
      };
    },
  };
}
