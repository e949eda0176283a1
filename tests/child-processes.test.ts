import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { commandLine, descendantsOf, isRunning, waitUntil } from './support/processes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('no process outlives its test file: one timed out is cleaned at the file end, one whose fork died at the run end', async () => {
  const pidsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mission-reaper-')), 'pids');
  fs.writeFileSync(pidsFile, '');
  const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--config', 'tests/fixtures/reaper/vitest.config.ts'],
      { cwd: ROOT, env: { ...process.env, REAPER_PIDS_FILE: pidsFile } },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, output: stdout + stderr }),
    );
  });
  const pids = Object.fromEntries(
    fs
      .readFileSync(pidsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')),
  );
  expect(Object.keys(pids).sort(), run.output).toEqual(['died-child', 'died-orphan', 'timed-out-child', 'timed-out-orphan']);
  expect(run.code, run.output).not.toBe(0); // one test timed out, one fork died
  expect(run.output).toMatch(/forgets\.fixture\.ts: killed \d+ processes left running at the file's end/);
  expect(run.output).toMatch(/test run mission-test-run-\d+-\w+: killed \d+ processes its files left running/);
  for (const [label, pid] of Object.entries(pids)) expect(isRunning(Number(pid)), `${label} (${pid}) still runs`).toBe(false);
  fs.rmSync(path.dirname(pidsFile), { recursive: true, force: true });
});

it("the CPU load's busy processes end once the process that started them is gone: a run killed before its teardown leaves no load behind", async () => {
  // A process that starts the load as a test file's fork does, then is killed as a run's fork can be (SIGKILL: no teardown).
  const cpuLoad = path.join(ROOT, 'tests/support/cpuLoad.ts');
  const parent = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { startCpuLoad } from ${JSON.stringify(cpuLoad)}; startCpuLoad(); setInterval(() => {}, 60_000);`,
    ],
    { cwd: ROOT, stdio: 'ignore' },
  );
  // Its busy processes (not the loader's own: tsx may start esbuild's).
  const spinners = () => descendantsOf(parent.pid!).filter((pid) => isRunning(pid) && commandLine(pid).includes('process.ppid'));
  await waitUntil(() => spinners().length === os.availableParallelism(), 30_000, 'one busy process per core');
  const started = spinners();
  parent.kill('SIGKILL');
  await waitUntil(
    () => !started.some(isRunning),
    10_000,
    `the busy processes ${started.join(', ')} to end after the process that started them`,
  );
});
