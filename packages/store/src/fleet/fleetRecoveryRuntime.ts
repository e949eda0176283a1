import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { type CoordinationJobData, queueNames, type SpawnJobData } from '../queues.ts';
import { SessionHandover } from '../sessions/sessionHandover.ts';
import { WorkerLiveness } from './liveness.ts';
import { FleetRecovery, type FleetRecoveryOptions } from './recovery.ts';

/** What a process hands over to run fleet recovery; the Redis parts recovery needs are built here. */
export type FleetRecoveryParts = Omit<
  FleetRecoveryOptions,
  'coordinationQueue' | 'handover' | 'liveness' | 'workerTimeoutMs' | 'jobLockMs'
> & {
  config: Pick<Config, 'queuePrefix' | 'workerTimeoutMs' | 'jobLockMs'>;
  connection: Redis;
};

export interface FleetRecoveryRuntime {
  recovery: FleetRecovery;
  /** The Redis witness of heartbeats recovery consults (a worker beats through it too). */
  liveness: WorkerLiveness;
  /** Resumes the lost sessions of `autoResume` slots (a draining worker hands its sessions over through it too). */
  handover: SessionHandover;
  /** Closes the queues recovery adds jobs to (coordinations settled, sessions resumed). */
  close(): Promise<void>;
}

/** Fleet recovery as every API and worker process runs it: one way to build it, whoever sweeps. */
export function createFleetRecovery({ config, connection, ...parts }: FleetRecoveryParts): FleetRecoveryRuntime {
  const liveness = new WorkerLiveness(connection, config.queuePrefix, config.workerTimeoutMs);
  const coordinationQueue = new Queue<CoordinationJobData>(queueNames.coordinations, { connection, prefix: config.queuePrefix });
  const sessionQueue = new Queue<SpawnJobData>(queueNames.sessions, { connection, prefix: config.queuePrefix });
  for (const queue of [coordinationQueue, sessionQueue])
    queue.on('error', (error) => parts.logger.warn({ err: error, queue: queue.name }, 'queue error'));
  const handover = new SessionHandover({ ...parts, sessionQueue });
  const recovery = new FleetRecovery({
    ...parts,
    coordinationQueue,
    handover,
    liveness,
    workerTimeoutMs: config.workerTimeoutMs,
    jobLockMs: config.jobLockMs,
  });
  return { recovery, handover, liveness, close: async () => void (await Promise.all([coordinationQueue.close(), sessionQueue.close()])) };
}
