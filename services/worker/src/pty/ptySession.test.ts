import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@mission/store';
import pty from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { Spawner } from '../spawner/spawner.ts';
import { PtySession } from './ptySession.ts';
import { ended } from '../testing/processes.ts';

const logger = createLogger({ level: 'silent', name: 'pty-session-test' });
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const spawners: Spawner[] = [];
const sessions: PtySession[] = [];
/** What each session's program wrote, as it arrived. */
const written = new Map<PtySession, string[]>();
const dirs: string[] = [];

function newSpawner(): Spawner {
  const spawner = new Spawner(logger);
  spawners.push(spawner);
  return spawner;
}

function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pty-session-')));
  dirs.push(dir);
  return dir;
}

function shell(spawner: Spawner, script: string, cwd = tempDir(), cols = 100, rows = 30): PtySession {
  return followed(new PtySession({ spawner, bin: 'sh', args: ['-c', script], cwd, env, cols, rows }));
}

/** The session, its output collected as it arrives (as an attached terminal gets it) and ended after the test. */
function followed(session: PtySession): PtySession {
  sessions.push(session);
  const chunks: string[] = [];
  written.set(session, chunks);
  session.onOutput((data) => chunks.push(data));
  return session;
}

afterEach(async () => {
  for (const session of sessions.splice(0)) {
    await session.kill();
    session.dispose();
  }
  written.clear();
  for (const spawner of spawners.splice(0)) await spawner.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function output(session: PtySession): string {
  return written.get(session)!.join('');
}

/** Resolves once the raw output contains `text` (each chunk is looked at as it arrives). */
function shows(session: PtySession, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (output(session).includes(text)) return resolve();
    const stop = session.onOutput(() => {
      if (!output(session).includes(text)) return;
      stop();
      resolve();
    });
  });
}

/** What a program learns of its terminal: every mode and size, its session, group and controlling terminal, TERM and PWD. */
const DESCRIBE_TERMINAL = 'stty -a; echo "pid $$ $(ps -o pgid=,sid=,tty= -p $$ | tr -s " ")"; echo "TERM=$TERM PWD=$PWD"; exit 7';

describe('PtySession started by the spawner', () => {
  it('gives the program the terminal node-pty gave it: same modes, its own session and group, the terminal as its controlling one', async () => {
    const cwd = tempDir();
    const reference = pty.spawn('sh', ['-c', DESCRIBE_TERMINAL], { name: 'xterm-256color', cols: 100, rows: 30, cwd, env });
    let expected = '';
    reference.onData((data) => (expected += data));
    const referenceExit = await new Promise<number>((resolve) => reference.onExit(({ exitCode }) => resolve(exitCode)));

    const session = shell(newSpawner(), DESCRIBE_TERMINAL, cwd);
    expect(await session.exited).toEqual({ exitCode: 7, signal: null });
    expect(referenceExit).toBe(7);
    const pid = session.pid!;
    const seen = output(session);
    const [modes, who, names] = [seen.slice(0, seen.indexOf('pid ')), seen.match(/pid .*\r\n/)![0], seen.slice(seen.indexOf('TERM='))];
    expect(modes).toBe(expected.slice(0, expected.indexOf('pid ')));
    // ps pads its columns to the widest value: a shorter pid comes with more spaces.
    expect(who).toMatch(new RegExp(`^pid +${pid} +${pid} +${pid} +pts/\\d+\\r\\n$`));
    expect(names).toBe(expected.slice(expected.indexOf('TERM=')));
    expect(names).toBe(`TERM=xterm-256color PWD=${cwd}\r\n`);
  });

  it('passes keystrokes, tells the program of a resize (SIGWINCH) and of ^C (SIGINT), and hands over all its output before its exit', async () => {
    const session = shell(
      newSpawner(),
      // A trapped signal ends a `read` early: each read is tried again until a line comes.
      'trap \'echo "size $(stty size)"\' WINCH; trap \'echo interrupted\' INT; echo ready; until read line; do :; done; echo "got $line"; until read go; do :; done; head -c 300000 /dev/zero | tr "\\0" x; exit 3',
    );
    await shows(session, 'ready');
    session.write('hello\r');
    await shows(session, 'got hello');
    session.resize(90, 20);
    await shows(session, 'size 20 90');
    session.write('\x03');
    await shows(session, 'interrupted');
    session.write('go\r');
    expect(await session.exited).toEqual({ exitCode: 3, signal: null });
    expect(output(session).split('x').length - 1).toBe(300_000);
  });

  it('kill ends the program and everything in its group, and reports the signal', async () => {
    const dir = tempDir();
    const session = shell(newSpawner(), `sleep 300 & echo $! > ${dir}/pid; echo ready; wait`, dir);
    await shows(session, 'ready');
    const grandchild = Number(fs.readFileSync(`${dir}/pid`, 'utf8'));
    expect(await session.kill()).toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(await ended(session.pid!)).toBe(true);
    expect(await ended(grandchild)).toBe(true);
  });

  it('a kill asked for before the pid arrived waits for it', async () => {
    const session = shell(newSpawner(), 'sleep 300');
    expect(await session.kill()).toEqual({ exitCode: null, signal: 'SIGTERM' });
  });

  it('a program that cannot start exits with 1 and says why on its terminal, as under forkpty', async () => {
    const spawner = newSpawner();
    const session = followed(new PtySession({ spawner, bin: 'sh', args: ['-c', 'true'], cwd: '/no/such/folder', env }));
    expect(await session.exited).toEqual({ exitCode: 1, signal: null });
    expect(session.pid).toBeUndefined();
    expect(output(session)).toContain('ENOENT');
  });

  /** A shell in a PTY that started a background `sleep` in its group: the session and the sleep's pid. */
  async function shellWithGrandchild(spawner: Spawner) {
    const dir = tempDir();
    const session = shell(spawner, `sleep 300 & echo $! > ${dir}/pid; echo ready; wait`, dir);
    await shows(session, 'ready');
    const grandchild = Number(fs.readFileSync(`${dir}/pid`, 'utf8'));
    // The output can come before the spawner reports the pid: the worker kills the groups it knows of.
    await session.started;
    return { session, grandchild };
  }

  it('when the spawner process dies, the session is not left hanging: its group is killed and its exit says so', async () => {
    const spawner = newSpawner();
    const { session, grandchild } = await shellWithGrandchild(spawner);
    const spawnerPid = (spawner as unknown as { process: { pid: number } }).process.pid;
    process.kill(spawnerPid, 'SIGKILL');
    expect(await session.exited).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(await ended(session.pid!)).toBe(true);
    expect(await ended(grandchild)).toBe(true);
    // The next session starts a new spawner.
    const again = shell(spawner, 'echo again');
    expect(await again.exited).toEqual({ exitCode: 0, signal: null });
    expect(output(again)).toContain('again');
  });

  it("closing the worker's spawner ends its PTY programs with their groups", async () => {
    const spawner = newSpawner();
    const { session, grandchild } = await shellWithGrandchild(spawner);
    await spawner.close();
    expect(await session.exited).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(await ended(session.pid!)).toBe(true);
    expect(await ended(grandchild)).toBe(true);
  });
});
