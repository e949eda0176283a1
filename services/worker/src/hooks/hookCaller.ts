import fs from 'node:fs/promises';
import { ifMissing } from '../transcripts/missingFile.ts';

/**
 * Which process made a hook call, from Linux's /proc: a call on 127.0.0.1 is a TCP connection whose client
 * end is a socket some process holds. The hook's secret is in the CLI's environment, which every command
 * the agent runs inherits; the process holding the connection is what an agent cannot forge.
 */

/** Whether this machine tells which process holds a connection (Linux's /proc, readable by the worker). */
export async function callersKnowable(): Promise<boolean> {
  return Promise.all([fs.access('/proc/net/tcp'), fs.access(`/proc/${process.pid}/fd`)]).then(
    () => true,
    () => false,
  );
}

/** `127.0.0.1:port` as /proc/net/tcp writes an address. */
function loopback(port: number): string {
  return `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The inode of the client's socket of the connection from 127.0.0.1:`clientPort` to 127.0.0.1:`serverPort`,
 * read from a /proc/net/tcp table; null if the table has no such connection. Pure.
 */
export function clientSocketInode(table: string, clientPort: number, serverPort: number): number | null {
  const addresses = `${loopback(clientPort)} ${loopback(serverPort)}`;
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    if (`${fields[1]} ${fields[2]}` === addresses) return Number(fields[9]);
  }
  return null;
}

/** The inode of the client's socket of a connection on 127.0.0.1, or null if the connection is gone. */
export async function connectionInode(clientPort: number, serverPort: number): Promise<number | null> {
  return clientSocketInode(await fs.readFile('/proc/net/tcp', 'utf8'), clientPort, serverPort);
}

/** Whether process `pid` holds socket `inode` (false once it has exited: its /proc entries are gone). */
export async function holdsSocket(pid: number, inode: number): Promise<boolean> {
  const fdFolder = `/proc/${pid}/fd`;
  const fds = await fs.readdir(fdFolder).catch(ifMissing([]));
  const socket = `socket:[${inode}]`;
  for (const fd of fds) if ((await fs.readlink(`${fdFolder}/${fd}`).catch(ifMissing(''))) === socket) return true;
  return false;
}

/** `root` and every process under it, parents before their children (those that exit meanwhile left out). */
export async function processTree(root: number): Promise<number[]> {
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.shift()!;
    const threads = await fs.readdir(`/proc/${pid}/task`).catch(ifMissing([]));
    if (threads.length === 0) continue;
    tree.push(pid);
    for (const thread of threads) {
      const children = await fs.readFile(`/proc/${pid}/task/${thread}/children`, 'utf8').catch(ifMissing(''));
      pending.push(...children.split(' ').filter(Boolean).map(Number));
    }
  }
  return tree;
}

/** The process of the tree under `root` that holds socket `inode`; null if none does. */
export async function holderInTree(root: number, inode: number): Promise<number | null> {
  for (const pid of await processTree(root)) if (await holdsSocket(pid, inode)) return pid;
  return null;
}
