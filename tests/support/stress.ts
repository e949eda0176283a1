import fs from 'node:fs';
import { startCpuLoad } from './cpuLoad.ts';
import { processesIn } from './processes.ts';

/** How long each pause of a claude process lasts, and how long it runs between pauses. */
const PAUSE_MS = 150;
const RUN_MS = 350;

export interface Stress {
  /** A process the test pauses itself (SIGSTOP): the bursts leave it alone, and let it run at once if they hold it stopped now. */
  exempt(pid: number): void;
  stop(): Promise<void>;
}

/**
 * The hard conditions the interactive tests must also pass under, chosen with MISSION_TEST_STRESS:
 * `load` (one busy process per core), `pause` (every claude process running in `dir` is stopped and
 * continued in bursts, SIGSTOP/SIGCONT) or `both`. Unset: none.
 */
export function startStress(dir: string, mode = process.env.MISSION_TEST_STRESS ?? ''): Stress | undefined {
  if (!['load', 'pause', 'both'].includes(mode)) return undefined;
  const stopLoad =
    mode === 'pause'
      ? async () => {
          /* no load was started */
        }
      : startCpuLoad();
  const exempt = new Set<number>();
  /** The processes the bursts hold stopped now. */
  let paused: number[] = [];
  let running = mode !== 'load';
  const bursts = (async () => {
    while (running) {
      paused = processesIn(dir).filter((pid) => !exempt.has(pid) && isClaude(pid));
      for (const pid of paused) signal(pid, 'SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      for (const pid of paused) if (!exempt.has(pid)) signal(pid, 'SIGCONT');
      paused = [];
      await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    }
  })();
  return {
    exempt: (pid) => {
      exempt.add(pid);
      // Exempted while a burst holds it: left stopped, it would stay so, wherever the burst caught it (mid-frame, say).
      if (paused.includes(pid)) signal(pid, 'SIGCONT');
    },
    async stop() {
      running = false;
      await bursts;
      await stopLoad();
    },
  };
}

function isClaude(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('claude');
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It ended meanwhile.
  }
}
