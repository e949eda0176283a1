import { describe, expect, it } from 'vitest';
import { WorkerLease } from './workerLease.ts';

describe('WorkerLease', () => {
  it('holds while a heartbeat sent within the lease landed, and runs out from the send, not the acknowledgement', () => {
    let now = 1_000;
    const lease = new WorkerLease(3_500, () => now);
    const sent = lease.sending();
    now += 3_000;
    lease.landed(sent); // acknowledged late: the lease counts from when it was sent
    expect(lease.expired()).toBe(false);
    now += 501;
    expect(lease.expired()).toBe(true);
    expect(lease.silentForMs()).toBe(3_501);
  });

  it('is renewed by the latest landed beat of either kind, an older one landing later changes nothing', () => {
    let now = 0;
    const lease = new WorkerLease(3_500, () => now);
    const early = lease.sending();
    now = 2_000;
    const late = lease.sending();
    now = 2_100;
    lease.landed(late);
    lease.landed(early);
    now = 5_500;
    expect(lease.expired()).toBe(false);
    now = 5_600;
    expect(lease.expired()).toBe(true);
  });
});
