import fs from 'node:fs/promises';
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { MissionEventDraft } from '@mission/contracts';
import type { Logger } from '@mission/store';
import { ifMissing } from './transcripts/missingFile.ts';

/**
 * Which process made a call to the worker (a hook, a permission prompt), from Linux's /proc: a call on 127.0.0.1 is a
 * TCP connection whose client end is a socket some process holds. A route's secret is in its CLI's environment, which
 * every command the agent runs inherits; the process holding the connection is what an agent cannot forge.
 */

/**
 * The process a route's calls must come from: the one under the agent's program that made the route's first call —
 * the CLI itself, which calls (its first hook, its MCP handshake) before any command the agent runs.
 */
export class CallerPin {
  private program?: Promise<number | undefined>;
  private pinned?: number;
  private toldOfForeignCall?: () => void;

  /** The program the agent was started as (its pid, once started): no call is taken before this is known. */
  calledFrom(program: Promise<number | undefined>): void {
    this.program = program;
  }

  /** `tell` hears of the route's first call from another process (its owner's log says so); later ones are only logged. */
  onForeignCall(tell: () => void): void {
    this.toldOfForeignCall = tell;
  }

  /** A call from another process was refused. */
  foreignCall(): void {
    const tell = this.toldOfForeignCall;
    this.toldOfForeignCall = undefined;
    tell?.();
  }

  /** Whether socket `inode` is the pinned process's; the first holder asked about is pinned if it is under the program. */
  async holds(inode: number): Promise<boolean> {
    const program = await this.program;
    if (program === undefined) return false;
    if (this.pinned === undefined) {
      const holder = await holderInTree(program, inode);
      if (holder === null) return false;
      this.pinned ??= holder;
      // The holder was just found holding it: only a pin another call made meanwhile is asked again.
      if (holder === this.pinned) return true;
    }
    return holdsSocket(this.pinned, inode);
  }
}

/** A server's look at who calls it: whether /proc can tell, and the connections already found to be a route's agent's. */
export class CallerCheck {
  /** Checked once a connection: the CLI keeps its connections to the worker open. */
  private readonly admitted = new WeakMap<Socket, CallerPin>();

  private constructor(
    private readonly knowable: boolean,
    private readonly logger: Logger,
  ) {}

  /** Where /proc cannot tell (not Linux), the server checks its routes' secrets alone, and says so in the log. */
  static async start(logger: Logger, server: string): Promise<CallerCheck> {
    const knowable = await callersKnowable();
    if (!knowable)
      logger.warn(
        { server },
        'this machine does not tell which process makes a call to the worker (no Linux /proc): its secret alone is checked',
      );
    return new CallerCheck(knowable, logger);
  }

  /**
   * Whether a call may go on: it comes from `pin`'s process. If not (or if /proc could not tell), it is answered 403
   * with `refusal` (Mission's words for the caller) on a connection then closed, and the log says so, with `context`.
   */
  async letThrough(
    pin: CallerPin,
    request: http.IncomingMessage,
    response: http.ServerResponse,
    { call, refusal, context }: { call: string; refusal: string; context: object },
  ): Promise<boolean> {
    const admitted = await this.admits(pin, request.socket).catch((error: unknown) => {
      this.logger.error({ err: error, ...context }, `could not tell which process made ${call}: it is not taken`);
      return false;
    });
    if (admitted) return true;
    this.logger.warn({ ...context, clientPort: request.socket.remotePort }, `${call} came from another process than its claude: refused`);
    pin.foreignCall();
    // Closed after the answer: each call a process makes that is not the CLI's costs it a connection, and the check a read.
    response.writeHead(403, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: refusal }));
    return false;
  }

  /** Whether a call on `socket` (a connection to this server on 127.0.0.1) comes from `pin`'s process. */
  async admits(pin: CallerPin, socket: Socket): Promise<boolean> {
    if (!this.knowable || this.admitted.get(socket) === pin) return true;
    const inode = await connectionInode(socket.remotePort!, socket.localPort!);
    const taken = inode !== null && (await pin.holds(inode));
    if (taken) this.admitted.set(socket, pin);
    return taken;
  }
}

/**
 * What an agent's log is told of the first call to the worker refused for coming from another process than its claude
 * (`endpoint`: what was called): a person or a main agent following the log sees that it tried.
 */
export function foreignCallNotice(endpoint: string): MissionEventDraft {
  return {
    type: 'notice',
    payload: {
      kind: 'foreign_call',
      text:
        `A process other than this agent's claude (a command it ran, most likely) called its ${endpoint} with the secret ` +
        "claude was given: the worker refused it, as it refuses every such call (the worker's log has the later ones).",
    },
  };
}

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
 * read from a /proc/net/tcp table; null if the table has no such connection. The table holds every connection of
 * the machine (thousands on a busy one, those closing included): the row is found by its two addresses, and only it
 * is split. Pure.
 */
export function clientSocketInode(table: string, clientPort: number, serverPort: number): number | null {
  // A row: `sl: local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …`.
  const at = table.indexOf(` ${loopback(clientPort)} ${loopback(serverPort)} `);
  if (at < 0) return null;
  const end = table.indexOf('\n', at);
  const fields = table
    .slice(at, end < 0 ? undefined : end)
    .trim()
    .split(/\s+/);
  return Number(fields[8]);
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
