import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { type CoordinationJobData, queueNames } from '../queues.ts';
import { WorkerLiveness } from './liveness.ts';
import { FleetRecovery, type FleetRecoveryOptions } from './recovery.ts';

/** What a process hands over to run fleet recovery; the Redis parts recovery needs are built here. */
export type FleetRecoveryParts = Omit<FleetRecoveryOptions, 'coordinationQueue' | 'liveness' | 'workerTimeoutMs' | 'jobLockMs'> & {
  config: Pick<Config, 'queuePrefix' | 'workerTimeoutMs' | 'jobLockMs'>;
  connection: Redis;
};

export interface FleetRecoveryRuntime {
  recovery: FleetRecovery;
  /** The Redis witness of heartbeats recovery consults (a worker beats through it too). */
  liveness: WorkerLiveness;
  /** Closes the coordination queue recovery settles coordinations on. */
  close(): Promise<void>;
}

/** Fleet recovery as every API and worker process runs it: one way to build it, whoever sweeps. */
export function createFleetRecovery({ config, connection, ...parts }: FleetRecoveryParts): FleetRecoveryRuntime {
  const liveness = new WorkerLiveness(connection, config.queuePrefix, config.workerTimeoutMs);
  const coordinationQueue = new Queue<CoordinationJobData>(queueNames.coordinations, { connection, prefix: config.queuePrefix });
  coordinationQueue.on('error', (error) => parts.logger.warn({ err: error, queue: coordinationQueue.name }, 'queue error'));
  const recovery = new FleetRecovery({
    ...parts,
    coordinationQueue,
    liveness,
    workerTimeoutMs: config.workerTimeoutMs,
    jobLockMs: config.jobLockMs,
  });
  return { recovery, liveness, close: () => coordinationQueue.close() };
}
