import { ownCpuMsSince } from './procStat.ts';
import { type LatencySummary, summarize, timeIt } from './stats.ts';

/** One operation's calls as {@link measureInTurn} measured them. */
export interface MeasuredInTurn {
  latency: LatencySummary;
  /** CPU per call (this process's: a neighbour's burst does not move it). */
  cpuMs: number;
  /** What `count` counted per call (0 without it). */
  counted: number;
}

/** Something counted around each measured round (Redis commands, say), less what each reading adds itself. */
export interface RoundCounter {
  read(): Promise<number>;
  perReading: number;
}

/**
 * Latency and CPU per call of each operation: a round of `perRound` calls each to warm up (the code they share, warm
 * for all before any is measured), then `rounds` rounds in which every operation makes `perRound` sequential calls in
 * turn, so that all of them meet the same moments of a shared machine.
 */
export async function measureInTurn<K extends string>(
  operations: Record<K, () => Promise<unknown>>,
  { perRound, rounds, count }: { perRound: number; rounds: number; count?: RoundCounter },
): Promise<Record<K, MeasuredInTurn>> {
  const entries = Object.entries(operations) as [K, () => Promise<unknown>][];
  for (const [, call] of entries) for (let i = 0; i < perRound; i++) await call();
  const samples = new Map(entries.map(([name]) => [name, { latencies: [] as number[], cpuMs: 0, counted: 0 }]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, call] of entries) {
      const sample = samples.get(name)!;
      const before = await count?.read();
      const cpu = process.cpuUsage();
      for (let i = 0; i < perRound; i++) sample.latencies.push((await timeIt(call)).ms);
      sample.cpuMs += ownCpuMsSince(cpu);
      if (count) sample.counted += (await count.read()) - before! - count.perReading;
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, { latencies, cpuMs, counted }]) => [
      name,
      { latency: summarize(latencies), cpuMs: cpuMs / latencies.length, counted: counted / latencies.length },
    ]),
  ) as Record<K, MeasuredInTurn>;
}
