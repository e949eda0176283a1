/**
 * Runs `operation(0)` … `operation(count - 1)` from `clients` clients at once, each starting its next operation as soon
 * as its last one ended (a closed loop: the shape both sides of a throughput comparison take).
 */
export async function inFlight(count: number, clients: number, operation: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) await operation(next++);
    }),
  );
}
