import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientSocketInode, connectionInode, holderInTree, holdsSocket, processTree } from './agentCaller.ts';

// Two rows of /proc/net/tcp as Linux writes them: a listener on 127.0.0.1:46437, and a connection to it from port 51234.
const TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:B565 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 14877 1 0000000089bf9ad3 100 0 0 10 0',
  '   1: 0100007F:C822 0100007F:B565 01 00000000:00000000 00:00000000 00000000  1001        0 90210 1 0000000089bf9ad4 20 4 30 10 -1',
  '   2: 0100007F:B565 0100007F:C822 01 00000000:00000000 00:00000000 00000000     0        0 90211 1 0000000089bf9ad5 20 4 30 10 -1',
].join('\n');

describe('which process holds a connection on 127.0.0.1', () => {
  it("reads the client's socket of a connection from /proc/net/tcp, not the server's end or a listener", () => {
    expect(clientSocketInode(TABLE, 51234, 46437)).toBe(90210);
    expect(clientSocketInode(TABLE, 46437, 51234)).toBe(90211);
    expect(clientSocketInode(TABLE, 51235, 46437)).toBeNull();
  });

  it('finds the process of a tree that holds a connection: a child, not its parent; none once it has exited', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const serverPort = (server.address() as net.AddressInfo).port;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    // A shell that starts a node process connecting here, as claude's commands run under it.
    const connect = `require('node:net').connect(${serverPort}, '127.0.0.1', () => process.stdout.write('up')); setInterval(() => {}, 1000)`;
    const shell = spawn('sh', ['-c', `"${process.execPath}" -e "${connect}"; :`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => shell.stdout.once('data', resolve));
      const socket = await accepted;
      const inode = await connectionInode(socket.remotePort!, serverPort);
      expect(inode).toEqual(expect.any(Number));
      const tree = await processTree(shell.pid!);
      expect(tree[0]).toBe(shell.pid);
      expect(tree).toHaveLength(2);
      const holder = await holderInTree(shell.pid!, inode!);
      expect(holder).toBe(tree[1]);
      expect(await holdsSocket(shell.pid!, inode!)).toBe(false);
      process.kill(holder!);
      await new Promise((resolve) => shell.once('close', resolve));
      expect(await holdsSocket(holder!, inode!)).toBe(false);
      expect(await processTree(shell.pid!)).toEqual([]);
    } finally {
      shell.kill();
      server.close();
    }
  });
});
