// The worker's spawner (docs/spawn-launcher.md): a small plain node process, forked once by the worker,
// that starts its agents so that the fork of a process (synchronous in child_process.spawn, and as slow as
// the forking process is big) lands here instead of on the worker's event loop. It adds no policy of its
// own: what it starts (setpriv to the agent user, the environment built from scratch) is decided by the
// worker. It lives as long as its IPC channel to the worker: when the worker goes (closed, or died), every
// agent still running is ended with its whole process group, then the spawner exits.
//
// Messages (one object each, over the IPC channel):
//   in  { t: 'spawn', id, bin, args, cwd, env } | { t: 'stdin', id, data?, end? } | { t: 'pause' | 'resume', id }
//   out { t: 'pid', id, pid } | { t: 'out' | 'err', id, data } | { t: 'exit', id, code, signal, error }
import { spawn } from 'node:child_process';

const KILL_GRACE_MS = 1_000;
/** Running agents by the worker's id for them. */
const children = new Map();
/** Once the worker has gone: the groups being ended (SIGTERM sent, SIGKILL to follow). */
let leaving = null;

function send(message) {
  if (process.connected) process.send(message);
}

function start({ id, bin, args, cwd, env }) {
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
    child = spawn(bin, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
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
  send({ t: 'pid', id, pid: child.pid });
  child.stdout.setEncoding('utf8').on('data', (data) => send({ t: 'out', id, data }));
  child.stderr.setEncoding('utf8').on('data', (data) => send({ t: 'err', id, data }));
  child.stdin.on('error', () => {
    // EPIPE when the agent dies before reading its input: its exit says what happened
  });
  child.once('close', (code, signal) => exit(code, signal, null));
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
