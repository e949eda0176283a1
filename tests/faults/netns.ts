import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/**
 * Machines and networks for the fault harness, made of Linux network namespaces: one namespace per
 * machine, one bridge per network (Redis, Postgres, the application's own traffic), a veth pair from
 * every machine into every network it is on. A partition takes the bridge's end of a pair down, so the
 * machine's packets on that network vanish silently — as on a real network, not a refused connection.
 * This process is on every network too (the bridges' first address), as the operator's laptop would be.
 *
 * Everything is named after this process's pid (bridges mf<pid><network letter>, veths mf<pid>x<machine>…),
 * so leftovers of a run that died are found and removed by the next one, and two runs on one machine never
 * touch each other's.
 */

export type NetworkName = 'redis' | 'postgres' | 'app';
const NETWORKS: NetworkName[] = ['redis', 'postgres', 'app'];
const NETWORK_LETTER: Record<NetworkName, string> = { redis: 'r', postgres: 'p', app: 'a' };

export interface Machine {
  name: string;
  namespace: string;
  /** Its address on each network it is on. */
  address: Partial<Record<NetworkName, string>>;
  /** The bridge-side veth of each of its networks (what a partition takes down). */
  link: Partial<Record<NetworkName, string>>;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Why the harness cannot run here, or undefined when it can (root, `ip netns` works). */
export function whyNoNetns(): string | undefined {
  if (process.getuid?.() !== 0) return 'the fault harness needs root (it makes network namespaces and bridges)';
  const probe = `mfaults-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns does not work here: ${(error as Error).message.split('\n')[0]}`;
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes namespaces and links that runs which are no longer alive left behind. */
export function removeLeftovers(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const match = /^(mfaults-(\d+)-\S+)/.exec(line);
    if (match && !isAlive(Number(match[2]))) ip('netns', 'del', match[1]!);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const match = /^\d+: (mf(\d+)[a-z0-9]*)[@:]/.exec(line);
    if (match && !isAlive(Number(match[2]))) {
      try {
        ip('link', 'del', match[1]!);
      } catch {
        // the peer of a pair deleted just before: gone with it
      }
    }
  }
}

export class Topology {
  private readonly machines: Machine[] = [];
  private readonly bridges: Record<NetworkName, string>;
  /** First three octets of each network, e.g. 10.123.1 */
  private readonly prefix: Record<NetworkName, string>;

  private constructor(
    private readonly id: string,
    second: number,
  ) {
    this.bridges = Object.fromEntries(NETWORKS.map((n) => [n, `mf${id}${NETWORK_LETTER[n]}`])) as Record<NetworkName, string>;
    this.prefix = Object.fromEntries(NETWORKS.map((n, i) => [n, `10.${second}.${i + 1}`])) as Record<NetworkName, string>;
  }

  /** The bridges, on a 10.x range no route uses; another run taking the same range at the same moment makes it try the next. */
  static create(): Topology {
    removeLeftovers();
    const tried = new Set<number>();
    for (;;) {
      const topology = new Topology(String(process.pid), pickFreeOctet(tried));
      try {
        for (const network of NETWORKS) {
          const bridge = topology.bridges[network];
          ip('link', 'add', bridge, 'type', 'bridge');
          ip('addr', 'add', `${topology.hostAddress(network)}/24`, 'dev', bridge);
          ip('link', 'set', bridge, 'up');
        }
        return topology;
      } catch (error) {
        topology.destroy();
        if (tried.size >= 5) throw error;
      }
    }
  }

  /** This process's address on a network (where the harness's own servers listen). */
  hostAddress(network: NetworkName): string {
    return `${this.prefix[network]}.1`;
  }

  /** A new machine on the given networks. */
  addMachine(name: string, networks: NetworkName[]): Machine {
    const index = this.machines.length + 2;
    const namespace = `mfaults-${this.id}-${name}`;
    ip('netns', 'add', namespace);
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    const machine: Machine = { name, namespace, address: {}, link: {} };
    this.machines.push(machine);
    for (const network of networks) {
      const outside = `mf${this.id}x${index.toString(36)}${NETWORK_LETTER[network]}`;
      const inside = `${outside}i`;
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', inside, 'netns', namespace);
      ip('-n', namespace, 'link', 'set', inside, 'name', `eth-${network}`);
      const address = `${this.prefix[network]}.${index}`;
      ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', `eth-${network}`);
      ip('-n', namespace, 'link', 'set', `eth-${network}`, 'up');
      ip('link', 'set', outside, 'master', this.bridges[network]);
      ip('link', 'set', outside, 'up');
      machine.address[network] = address;
      machine.link[network] = outside;
    }
    return machine;
  }

  /** Cuts the machine off the networks (all of its networks when none are named). */
  partition(machine: Machine, networks: NetworkName[] = NETWORKS): void {
    for (const network of networks) if (machine.link[network]) ip('link', 'set', machine.link[network]!, 'down');
  }

  heal(machine: Machine, networks: NetworkName[] = NETWORKS): void {
    for (const network of networks) if (machine.link[network]) ip('link', 'set', machine.link[network]!, 'up');
  }

  /** Pids of every process in the machine. */
  pidsOf(machine: Machine): number[] {
    return ip('netns', 'pids', machine.namespace).split('\n').filter(Boolean).map(Number);
  }

  /** Removes every machine (killing what still runs in it) and every bridge. Safe to call twice. */
  destroy(): void {
    for (const machine of this.machines.splice(0)) {
      for (const pid of this.pidsOfQuietly(machine)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      try {
        ip('netns', 'del', machine.namespace);
      } catch {
        // already gone
      }
    }
    for (const bridge of Object.values(this.bridges)) {
      try {
        ip('link', 'del', bridge);
      } catch {
        // already gone
      }
    }
  }

  private pidsOfQuietly(machine: Machine): number[] {
    try {
      return this.pidsOf(machine);
    } catch {
      return [];
    }
  }
}

/** A second octet for 10.x.0.0/16 that no route of this host uses yet (and not one of `tried`, which it adds to). */
function pickFreeOctet(tried: Set<number>): number {
  const routes = ip('-4', 'route', 'show', 'table', 'all');
  const start = 100 + (process.pid % 100);
  for (let i = 0; i < 150; i++) {
    const octet = 100 + ((start - 100 + i) % 150);
    if (!tried.has(octet) && !routes.includes(`10.${octet}.`)) {
      tried.add(octet);
      return octet;
    }
  }
  throw new Error('no free 10.x.0.0/16 range for the fault harness');
}

export interface MachineProcessOptions {
  env: Record<string, string>;
  /** The machine's temp folder (TMPDIR): its temp files are its own. Not mounted over /tmp, which may hold the checkout. */
  tmpDir?: string;
  /** Mounted over /etc/hosts in the machine's own mount namespace: the names it resolves (a container's service names). */
  hostsFile?: string;
  /** Run as this user (e.g. postgres), by setpriv (which execs: the pid stays the command's). */
  user?: string;
  cwd?: string;
}

/**
 * Starts `command` inside the machine. The pid is the command's own (ip netns exec, sh and setpriv exec
 * into it), so signals reach it directly.
 */
export function spawnInMachine(machine: Machine, command: string[], options: MachineProcessOptions): ChildProcess {
  if (options.tmpDir) {
    fs.mkdirSync(options.tmpDir, { recursive: true });
    fs.chmodSync(options.tmpDir, 0o1777); // as /tmp is: every user (the agent user too) may make its files there
  }
  const asUser = options.user ? ['setpriv', `--reuid=${options.user}`, `--regid=${options.user}`, '--init-groups', '--'] : [];
  // ip netns exec gives the command a mount namespace of its own: what is bound there, nobody else sees.
  const binds = options.hostsFile ? [[options.hostsFile, '/etc/hosts']] : [];
  const script = [...binds.map((_, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}"`), `shift ${2 * binds.length}`, 'exec "$@"'].join(
    ' && ',
  );
  return spawn('ip', ['netns', 'exec', machine.namespace, 'sh', '-c', script, 'sh', ...binds.flat(), ...asUser, ...command], {
    env: options.tmpDir ? { ...options.env, TMPDIR: options.tmpDir } : options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
