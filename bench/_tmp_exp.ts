import { HeadlessTerminal, parseScreen, SnapshotDiffer } from '@mission/worker';
import { loadRecording, recordedScenarios } from '../tests/fixtures/recordings.ts';
const chunks = recordedScenarios().flatMap((name) => { const { chunks } = loadRecording(name); return chunks.map((c, i) => ({ data: c.data, settles: (chunks[i + 1]?.t ?? Infinity) - c.t >= 15 })); });
const size = chunks.reduce((s, c) => s + Buffer.byteLength(c.data), 0);
const rounds = Math.ceil(8 * 1024 * 1024 / size);
async function run(read: ((t: HeadlessTerminal) => void) | null) {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const t = new HeadlessTerminal({ cols: 120, rows: 40 });
    for (const c of chunks) t.write(c.data, read && c.settles ? () => read(t) : undefined);
    await new Promise<void>((res) => t.write('', res));
    t.dispose();
  }
  return performance.now() - t0;
}
for (let k = 0; k < 2; k++) {
const base = await run(null);
const rd = await run((t) => { t.screen(); });
const ps = await run((t) => { parseScreen(t.screen()); });
const d = new SnapshotDiffer();
const all = await run((t) => { d.next(parseScreen(t.screen())); });
console.log({ base, rd, ps, all, ratio: base / all });
}
