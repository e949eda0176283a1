import http from 'node:http';

/**
 * An HTTP server for the calls agents make to their worker (hooks, permission prompts), on 127.0.0.1: one that never
 * closes a kept-alive connection first. The CLI keeps its connections here open between calls, however long it idles
 * (a warm agent waits for its task, a session for its next message), and sends its next call on one of them; Node's
 * default of closing a connection idle for 5 s let that call meet the close — ECONNRESET, and the CLI took the tool
 * use it was asking about as failed, never asked. Connections end with the agent's process, or with the server.
 */
export function agentCallServer(handle: (request: http.IncomingMessage, response: http.ServerResponse) => void): http.Server {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 0;
  return server;
}
