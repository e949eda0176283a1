import {
  StreamableHTTPClientTransport,
  type StreamableHTTPClientTransportOptions,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { httpFetch } from './httpFetch.ts';
import { watchAncestors } from './parentWatch.ts';

/** How long ending the HTTP session may hold up the exit: a courtesy (an idle session expires anyway), and the DELETE goes to a server that may be gone. */
const END_SESSION_TIMEOUT_MS = 100;

/** The SDK's Streamable HTTP client as the bridge configures it: its requests made by `httpFetch` (over `node:http`, not Node's fetch). */
export function missionClientTransport(
  url: URL,
  options?: Omit<StreamableHTTPClientTransportOptions, 'fetch'>,
): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(url, { ...options, fetch: httpFetch });
}

/**
 * The stdio MCP server a Claude Code config starts (`mission-mcp`): it relays every message between
 * stdin/stdout and Mission's Streamable HTTP endpoint, so the tools are the API process's own.
 *
 * Messages go upstream one at a time, in the order they came, as a client that pipelines expects of
 * a stdio server: each POST is answered before the next one leaves, and an `initialize` waits for
 * its result, which names the session (`Mcp-Session-Id`) and the protocol version every later
 * request carries (`MCP-Protocol-Version`). Long calls do not block the ones after them: their
 * answers stream back after the POST has been accepted.
 *
 * Resolves once the client has gone — end of input, or the end of a process above this one — after
 * ending the HTTP session; the caller then exits.
 */
export async function runStdioBridge(missionUrl: string, token: string | undefined): Promise<void> {
  const endpoint = new URL('/mcp', missionUrl);
  const upstream = missionClientTransport(endpoint, token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined);
  const local = new StdioServerTransport();

  /** Initialize requests relayed and not answered yet, with what to do on the answer. */
  const initializing = new Map<RequestId, () => void>();
  let relayed: Promise<void> = Promise.resolve();

  const relay = async (message: JSONRPCMessage) => {
    const initializeId = isJSONRPCRequest(message) && message.method === 'initialize' ? message.id : undefined;
    const answered = initializeId === undefined ? undefined : new Promise<void>((resolve) => initializing.set(initializeId, resolve));
    try {
      await upstream.send(message);
      await answered;
    } catch (error) {
      if (initializeId !== undefined) initializing.delete(initializeId);
      if (!isJSONRPCRequest(message)) return;
      const reason = error instanceof Error ? error.message : String(error);
      await local.send({
        jsonrpc: '2.0',
        id: message.id,
        error: {
          code: -32000,
          message: `Mission at ${missionUrl} failed the request (${reason}). Is it running (npm start)? Are MISSION_URL and MISSION_TOKEN right?`,
        },
      });
    }
  };
  local.onmessage = (message) => {
    relayed = relayed.then(() => relay(message));
  };
  upstream.onmessage = (message) => {
    // An answer (not a request of the server's own, whose ids are counted apart) to an initialize.
    const answerId = !('method' in message) && 'id' in message ? message.id : undefined;
    const onAnswer = answerId === undefined ? undefined : initializing.get(answerId);
    if (answerId !== undefined && onAnswer) {
      initializing.delete(answerId);
      if (isJSONRPCResultResponse(message) && typeof message.result.protocolVersion === 'string')
        upstream.setProtocolVersion(message.result.protocolVersion);
      onAnswer();
    }
    void local.send(message);
  };
  upstream.onerror = (error) => process.stderr.write(`mission-mcp: ${error.message}\n`);

  const clientGone = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    // Writing to a client that has gone fails with EPIPE.
    process.stdout.once('error', resolve);
    watchAncestors(resolve);
  });

  await upstream.start();
  await local.start();
  await clientGone;
  await Promise.race([upstream.terminateSession(), new Promise((resolve) => setTimeout(resolve, END_SESSION_TIMEOUT_MS).unref())]).catch(
    (error: unknown) =>
      process.stderr.write(`mission-mcp: could not end the MCP session (${error instanceof Error ? error.message : String(error)})\n`),
  );
  await upstream.close();
}
