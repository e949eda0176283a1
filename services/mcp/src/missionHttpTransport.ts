import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import {
  StreamableHTTPServerTransport,
  type StreamableHTTPServerTransportOptions,
} from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { jsonAnswerableRequest } from './jsonAnswerable.ts';

/** The JSON-RPC error a request answered as JSON gets when its session closes before its answer (what the SDK answers a closed session). */
const SESSION_CLOSED = JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });

/**
 * One MCP session's Streamable HTTP transport: the SDK's, with the requests that will send nothing but their
 * answer, at once (see `jsonAnswerableRequest`: a read or a submit without a progressToken, a list, a ping) answered as one
 * `application/json` response written straight on Node's response. The SDK's transport answers every POST with
 * an event stream through web-standard Request/Response objects made from Node's (@hono/node-server), which
 * costs a plain call more than the call itself; it still serves everything else: `initialize`, calls that
 * report progress, notifications, batches, the GET notification stream, DELETE, and every refusal.
 */
export class MissionHttpTransport implements Transport {
  private readonly sdk: StreamableHTTPServerTransport;
  /** Requests answered as JSON and not answered yet, by id: the response each answer goes to. */
  private readonly jsonAnswers = new Map<RequestId, ServerResponse>();
  private closed = false;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private readonly immediateTools: ReadonlySet<string>;

  /** `immediateTools`: the tools whose calls answer at once (`jsonAnswerableRequest`). */
  constructor({
    immediateTools,
    ...options
  }: Pick<StreamableHTTPServerTransportOptions, 'sessionIdGenerator' | 'onsessioninitialized'> & { immediateTools: ReadonlySet<string> }) {
    this.immediateTools = immediateTools;
    this.sdk = new StreamableHTTPServerTransport(options);
    this.sdk.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.sdk.onerror = (error) => this.onerror?.(error);
    // The SDK's transport closes on close() and on a DELETE.
    this.sdk.onclose = () => {
      this.closed = true;
      for (const response of this.jsonAnswers.values()) response.writeHead(404, { 'content-type': 'application/json' }).end(SESSION_CLOSED);
      this.jsonAnswers.clear();
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.sdk.sessionId;
  }

  start(): Promise<void> {
    return this.sdk.start();
  }

  close(): Promise<void> {
    return this.sdk.close();
  }

  /** Serves one HTTP request of this session (`body`: the parsed JSON of a POST), as `authInfo`. */
  async handleRequest(request: IncomingMessage, response: ServerResponse, body: unknown, authInfo: AuthInfo): Promise<void> {
    const answerable =
      request.method === 'POST' && !this.closed ? jsonAnswerableRequest(body, request.headers, this.immediateTools) : undefined;
    if (!answerable) {
      (request as IncomingMessage & { auth?: AuthInfo }).auth = authInfo;
      return this.sdk.handleRequest(request, response, body);
    }
    const { id } = answerable;
    this.jsonAnswers.set(id, response);
    // A client that goes away before the answer: the answer then finds no response, as on an event stream the client closed.
    response.once('close', () => {
      if (this.jsonAnswers.get(id) === response) this.jsonAnswers.delete(id);
    });
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
    this.onmessage?.(answerable, { authInfo, requestInfo: { headers: request.headers, url } });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // The server's own messages, told apart by their shape: an answer (a result or an error) has no method. The SDK's
    // type guards would validate the whole message with its schemas, the result with its content included, at each answer.
    const answerId = 'method' in message ? undefined : message.id;
    const response = answerId === undefined ? undefined : this.jsonAnswers.get(answerId);
    if (answerId !== undefined && response) {
      this.jsonAnswers.delete(answerId);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
      response.writeHead(200, headers).end(JSON.stringify(message));
      return;
    }
    // A request answered as JSON has no stream of its own: anything else it sends goes on the session's notification stream.
    const related = options?.relatedRequestId;
    if (related !== undefined && this.jsonAnswers.has(related)) return this.sdk.send(message);
    return this.sdk.send(message, options);
  }
}
