// A prototype of the spawn launcher (issue 19, "spawning off the event loop"), for the `spawn` benchmark
// only: a plain node script, started once, small RSS, that spawns agents on request over its IPC channel
// so that the fork of a process lands in this small process instead of the worker's big one.
// Protocol (one JSON message each): in  { id, bin, args, cwd, env } | { id, stdin, end } | { id, kill }
//                                    out { id, pid } | { id, out } | { id, err } | { id, exit: { code, signal } } | { id, error }
import { spawn } from 'node:child_process';

const children = new Map();
process.on('message', (request) => {
  if (request.bin) {
    const child = spawn(request.bin, request.args, { cwd: request.cwd, env: request.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    children.set(request.id, child);
    child.once('error', (error) => process.send({ id: request.id, error: error.message }));
    child.stdout.setEncoding('utf8').on('data', (out) => process.send({ id: request.id, out }));
    child.stderr.setEncoding('utf8').on('data', (err) => process.send({ id: request.id, err }));
    child.stdin.on('error', (error) => process.send({ id: request.id, err: `stdin: ${error.message}` }));
    child.once('close', (code, signal) => {
      children.delete(request.id);
      process.send({ id: request.id, exit: { code, signal } });
    });
    process.send({ id: request.id, pid: child.pid });
    return;
  }
  const child = children.get(request.id);
  if (!child) return;
  if (request.stdin !== undefined) child.stdin.write(request.stdin);
  if (request.end) child.stdin.end();
  // The whole process group, as processGroup.ts does for a directly spawned agent.
  if (request.kill) process.kill(-child.pid, request.kill);
});
process.on('disconnect', () => process.exit(0));
