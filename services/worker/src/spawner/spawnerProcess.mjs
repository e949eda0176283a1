// The worker's spawner (docs/spawn-launcher.md): a small plain node process, forked once by the worker,
// that starts its agents so that the fork of a process (synchronous in child_process.spawn, and as slow as
// the forking process is big) lands here instead of on the worker's event loop. It adds no policy of its
// own: what it starts (setpriv to the agent user, the environment built from scratch) is decided by the
// worker. It lives as long as its IPC channel to the worker: when the worker goes (closed, or died), every
// agent still running is ended with its whole process group, then the spawner exits.
//
// A PTY agent is started on a terminal the worker opened itself (openpty, no fork): the spawner opens its
// slave side by name, gives it the modes node-pty's forkpty gives a terminal, and starts the agent on it as
// the leader of a session of its own with that terminal as its controlling one (setsid -c), as forkpty
// does. The worker keeps the master: the PTY's output never passes through here.
//
// Messages (one object each, over the IPC channel):
//   in  { t: 'spawn', id, bin, args, cwd, env } | { t: 'pty', id, bin, args, cwd, env, terminal }
//       | { t: 'stdin', id, data?, end? } | { t: 'pause' | 'resume', id }
//   out { t: 'pid', id, pid } | { t: 'out' | 'err', id, data } | { t: 'exit', id, code, signal, error }
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const KILL_GRACE_MS = 1_000;
/** Running agents by the worker's id for them. */
const children = new Map();
/** Once the worker has gone: the groups being ended (SIGTERM sent, SIGKILL to follow). */
let leaving = null;

/**
 * A send fails (EPIPE) when the worker died after the last one and before its channel's close was noticed: the
 * worker is gone all the same, so the channel is closed here, which ends the agents as its close would ('disconnect').
 */
function send(message) {
  if (process.connected) process.send(message, closeOnFailure);
}

function closeOnFailure(error) {
  if (error && process.connected) process.disconnect();
}

/**
 * The modes node-pty's forkpty sets on a new terminal beyond the kernel's defaults (its pty.cc: IXANY,
 * IMAXBEL, BRKINT and IUTF8 in, HUPCL, VEOL/VEOL2 set to 255), so a program sees the terminal it saw before.
 */
const PTY_MODES = ['iutf8', 'ixany', 'imaxbel', 'brkint', 'hupcl', 'eol', '255', 'eol2', '255'];

function startOnTerminal({ id, bin, args, cwd, env, terminal }) {
  let slave;
  try {
    slave = fs.openSync(terminal, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  } catch (error) {
    send({ t: 'exit', id, code: null, signal: null, error: `could not open the terminal ${terminal}: ${error.message}` });
    return;
  }
  let stty;
  try {
    stty = spawn('stty', PTY_MODES, { stdio: [slave, 'ignore', 'pipe'] });
  } catch (error) {
    fs.closeSync(slave);
    send({ t: 'exit', id, code: null, signal: null, error: `could not set the terminal's modes: ${error.message}` });
    return;
  }
  let complaint = '';
  stty.stderr.setEncoding('utf8').on('data', (data) => (complaint += data));
  stty.once('error', (error) => (complaint ||= error.message));
  stty.once('close', (code) => {
    if (leaving) send({ t: 'exit', id, code: null, signal: null, error: 'the worker went before the agent started' });
    else if (code === 0) start({ id, bin: 'setsid', args: ['--ctty', bin, ...args], cwd, env, stdio: [slave, slave, slave] });
    else
      send({
        t: 'exit',
        id,
        code: null,
        signal: null,
        error: `could not set the terminal's modes: ${complaint.trim() || `stty exited ${code}`}`,
      });
    // The agent has its own copy now (or never will): the spawner's must not keep the terminal open.
    fs.closeSync(slave);
  });
}

/**
 * Starts `bin` as a process group leader: `detached` (setsid) for piped agents; on a terminal, `setsid
 * --ctty` does that itself (it would fork if its caller led a group already) and makes the terminal its
 * controlling one, so the agent gets SIGWINCH on a resize and the terminal's signals, as under forkpty.
 */
function start({ id, bin, args, cwd, env, stdio }) {
  const piped = stdio === undefined;
  let settled = false;
  const exit = (code, signal, error) => {
    if (settled) return;
    settled = true;
    children.delete(id);
    send({ t: 'exit', id, code, signal, error });
    if (leaving && children.size === 0) leave();
  };
  let child;
  try {
    child = spawn(bin, args, { cwd, env, stdio: stdio ?? ['pipe', 'pipe', 'pipe'], detached: piped });
  } catch (error) {
    exit(null, null, error.message);
    return;
  }
  child.once('error', (error) => {
    // Only a start that failed (ENOENT, …) ends the run here; a later error (a signal not delivered) does not.
    if (child.pid === undefined) exit(null, null, error.message);
  });
  if (child.pid === undefined) return;
  children.set(id, child);
  if (piped) {
    send({ t: 'pid', id, pid: child.pid });
    relay(id, child);
  } else whenLeading(child, () => send({ t: 'pid', id, pid: child.pid }));
  child.once('close', (code, signal) => exit(code, signal, null));
}

/**
 * Calls `then` once `child` leads its session (setsid(1) has run), or has exited: the worker ends an agent
 * by its group, which does not exist before (a kill meanwhile would miss it). setsid runs within a
 * millisecond or two of the start; until then this looks every millisecond.
 */
function whenLeading(child, then) {
  const look = () => {
    if (child.exitCode !== null || child.signalCode !== null || sessionOf(child.pid) === child.pid) return then();
    setTimeout(look, 1);
  };
  look();
}

/** The session id of `pid` (/proc/<pid>/stat, after the command name: state, ppid, pgrp, session), or undefined once it is gone. */
function sessionOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return undefined; // it has ended (its exit follows)
  }
}

function relay(id, child) {
  child.stdout.setEncoding('utf8').on('data', (data) => send({ t: 'out', id, data }));
  child.stderr.setEncoding('utf8').on('data', (data) => send({ t: 'err', id, data }));
  child.stdin.on('error', () => {
    // EPIPE when the agent dies before reading its input: its exit says what happened
  });
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

process.on('message', (message) => {
  if (message.t === 'spawn') return start(message);
  if (message.t === 'pty') return startOnTerminal(message);
  const child = children.get(message.id);
  if (!child) return;
  if (message.t === 'stdin') {
    if (message.data) child.stdin.write(message.data);
    if (message.end) child.stdin.end();
  } else if (message.t === 'pause') child.stdout.pause();
  else if (message.t === 'resume') child.stdout.resume();
});

/** SIGKILL to every group being ended (what a leader left behind too, as processGroup.ts does), then exit. */
function leave() {
  for (const pid of leaving) signalGroup(pid, 'SIGKILL');
  process.exit(0);
}

// The worker gone: its agents are not left running unsupervised. SIGTERM to each group; SIGKILL once
// every leader has exited, or after the grace period.
process.on('disconnect', () => {
  leaving = [...children.values()].map((child) => child.pid);
  if (children.size === 0) return leave();
  for (const pid of leaving) signalGroup(pid, 'SIGTERM');
  setTimeout(leave, KILL_GRACE_MS);
});
// A Ctrl-C or a SIGTERM sent to the worker's process group is the worker's to handle (it drains, then
// closes the channel): the spawner stays until then.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // ignored: the spawner ends when the worker's channel closes
  });
}
