import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { mediaTypeEssence } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** Connections kept open between calls, as Node's fetch keeps them. */
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/**
 * A request not answered this long after it was sent fails (its headers, and its whole body unless it is an event
 * stream), as one of Node's fetch did (undici's headersTimeout and bodyTimeout): a Mission that stopped answering does
 * not hold `mission-mcp`, which relays one request at a time, for ever. A call that takes long answers with an
 * event stream at once.
 */
export const ANSWER_TIMEOUT_MS = 300_000;

/** Statuses whose response has no body (a web `Response` refuses one). */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The fetch Mission's MCP client (`mission-mcp`) makes its calls with: one request over `node:http(s)` on a kept-open
 * connection, answered as a web `Response`. A body that is not an event stream (a JSON answer, an error's text) is
 * read whole before the answer is handed on; an event stream is handed on as it arrives. No redirect is followed
 * (the SDK asks for `redirect: 'manual'` and follows the ones within the origin itself), and the body sent is the
 * SDK's, a string.
 *
 * Node's own fetch streams every request body through web streams and keeps its abort listener on the caller's
 * signal until the request is garbage-collected (nodejs/node#52635, nodejs/undici#5285), and the SDK's client passes
 * one long-lived signal to every request: a call here costs less CPU, and the listener is removed as soon as the
 * request fails or its body is read, fails or is cancelled. Aborting the signal aborts the request and any body not
 * read yet, with the signal's reason.
 */
export const httpFetch: FetchLike = (input, init) =>
  new Promise<Response>((resolve, reject) => {
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const url = new URL(input);
    const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!client) return reject(new TypeError(`Mission's MCP client speaks http and https, not ${url.protocol}`));
    const body = bodyOf(init?.body);
    const headers = headersOf(init?.headers);
    if (body !== undefined) headers['content-length'] = String(body.byteLength);

    const request = client.request(url, { method: init?.method ?? 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'] });
    let incoming: http.IncomingMessage | undefined;
    let settled = false;
    const unlink = () => signal?.removeEventListener('abort', abort);
    const fail = (error: unknown) => {
      unlink();
      clearTimeout(late);
      if (settled) return;
      settled = true;
      reject(error);
    };
    /** Ends the request and its body (an event stream already handed on fails with `error`, as fetch's does). */
    const end = (error: unknown) => {
      incoming?.destroy(error as Error);
      request.destroy(error as Error);
      fail(error);
    };
    function abort() {
      end(signal?.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
    const late = setTimeout(() => end(new Error(`no answer from ${url.origin} within ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);

    request.on('error', fail);
    request.once('response', (response) => {
      incoming = response;
      response.once('close', unlink);
      response.on('error', fail);
      const answer = (responseBody: BodyInit | null) => {
        settled = true;
        clearTimeout(late);
        const head = { status: response.statusCode, statusText: response.statusMessage, headers: headersFrom(response) };
        resolve(withUrl(new Response(responseBody, head), url));
      };
      if (NO_BODY.has(response.statusCode ?? 0) || request.method === 'HEAD') {
        response.resume();
        return answer(null);
      }
      if (mediaTypeEssence(response.headers['content-type']) === 'text/event-stream')
        return answer(Readable.toWeb(response) as ReadableStream<Uint8Array>);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => answer(Buffer.concat(chunks)));
    });
    request.end(body);
  });

function bodyOf(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("Mission's MCP client sends a string or bytes as a request's body");
}

function headersOf(init: RequestInit['headers']): Record<string, string> {
  if (init === undefined) return {};
  if (init instanceof Headers || Array.isArray(init)) return Object.fromEntries(new Headers(init));
  return { ...(init as Record<string, string>) };
}

function headersFrom(incoming: http.IncomingMessage): Headers {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** The SDK reads `url` to name where an unfollowed redirect pointed. */
function withUrl(response: Response, url: URL): Response {
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
