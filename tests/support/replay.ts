import { HeadlessTerminal, type Screen } from '@mission/worker';
import type { Recording } from '../fixtures/recordings.ts';

export interface ReplayOptions {
  /** Replay only the first chunks. */
  upTo?: number;
  /**
   * Call `onScreen` only where the recorded output paused at least this long, as the worker reads the
   * screen once output settles (0: after every chunk).
   */
  settleMs?: number;
  onScreen?: (screen: Screen, chunkCount: number) => void;
}

/** Plays a recording's raw output into a fresh headless terminal. Returns the final screen. */
export async function replay(recording: Pick<Recording, 'cols' | 'rows' | 'chunks'>, options: ReplayOptions = {}): Promise<Screen> {
  const terminal = new HeadlessTerminal({ cols: recording.cols, rows: recording.rows });
  const chunks = recording.chunks.slice(0, options.upTo ?? recording.chunks.length);
  try {
    for (const [index, chunk] of chunks.entries()) {
      await new Promise<void>((resolve) => terminal.write(chunk.data, resolve));
      const next = chunks[index + 1];
      if (!next || next.t - chunk.t >= (options.settleMs ?? 0)) options.onScreen?.(terminal.screen(), index + 1);
    }
    return terminal.screen();
  } finally {
    terminal.dispose();
  }
}
