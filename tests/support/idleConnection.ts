import net from 'node:net';

/**
 * Opens a connection to the server at `url` and sends nothing on it (as a browser's preconnect does); resolves once
 * connected, with a promise of its close.
 */
export async function openIdleConnection(url: string): Promise<{ closed: Promise<void> }> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { closed };
}
