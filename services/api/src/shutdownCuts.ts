import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the API cuts when it shuts down, so that Node's `server.close()` (which waits for every connection that
 * carries a request, and for one that has carried none until its headers time out) does not wait for it:
 *
 * - the connections no request came on: a connection a client opened ahead of a request it never made (undici after an
 *   event stream it stopped reading, a browser's preconnect) held the shutdown for 60–90 s;
 * - the event streams (`GET …/events`): a follower's stream never ends by itself, so one open console held it for good.
 *   Cut, a stream ends as when the API restarts under it: its reader resumes after its last event (`Last-Event-ID`),
 *   on another instance or on this one started again.
 *
 * A request in flight is answered, and its connection then closed: kept alive, it would hold the shutdown until the
 * client let it go (undici keeps one for a minute and more). An upgraded connection (a WebSocket) is its plugin's to
 * close.
 */
export class ShutdownCuts {
  private readonly unused = new Set<Socket>();
  private readonly streams = new Set<ServerResponse>();
  private readonly answering = new Set<ServerResponse>();
  private cutting = false;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.unused.add(socket);
      socket.once('close', () => this.unused.delete(socket));
    });
    const used = ({ socket }: { socket: Socket }) => this.unused.delete(socket);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      used(req);
      this.answering.add(res);
      res.once('close', () => this.answering.delete(res));
    });
    server.on('upgrade', used);
  }

  /** An event stream's response, cut at shutdown (forgotten once it closes); at once if the API is shutting down. */
  stream(res: ServerResponse): void {
    if (this.cutting) {
      res.destroy();
      return;
    }
    this.streams.add(res);
    res.once('close', () => this.streams.delete(res));
  }

  /** Cuts them all: called as the API starts to close. */
  cut(): void {
    this.cutting = true;
    for (const socket of this.unused) socket.destroy();
    for (const res of this.streams) res.destroy();
    for (const res of this.answering) closeOnceAnswered(res);
    this.unused.clear();
    this.streams.clear();
    this.answering.clear();
  }
}

/** Its answer says the connection closes (`Connection: close`), or, its headers gone already, it ends once written. */
function closeOnceAnswered(res: ServerResponse): void {
  if (!res.headersSent) {
    res.setHeader('connection', 'close');
    return;
  }
  // Taken now: Node detaches the socket from the response as it finishes.
  const socket = res.socket;
  res.once('finish', () => socket?.end());
}
