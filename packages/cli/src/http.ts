import type http from 'node:http';
import { ApiError, UnreachableError } from './errors.ts';
import { SseParser, type SseMessage } from './sse.ts';

/**
 * The Mission REST API as the CLI uses it: JSON requests with the bearer token, SSE streams, the WebSocket URL.
 *
 * Requests go over `node:http(s)`, not Node's `fetch`: a command makes one or two requests and exits, and the first
 * `fetch` of a process loads its HTTP stack (undici) first, 35-60 ms on this project's machine, more than the rest of
 * the request (node:http's first request: 7-9 ms). Node's modules are taken with `process.getBuiltinModule`: an ESM
 * import of `node:http` builds its namespace from every export, among them the lazy `WebSocket`, which loads undici all
 * the same (35 ms of CPU). Nothing times a request out: an ask waits as long as its task may take, as with curl.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** The Authorization header, when there is a token. */
  get authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** A JSON request; a refusal is thrown as an ApiError with the API's own message. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const response = await this.send(path, {
      method,
      headers: { ...this.authHeaders, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json,
    });
    const text = await textOf(response);
    if (!isOk(response)) throw refusalOf(response, text);
    return JSON.parse(text) as T;
  }

  /**
   * The HTTP status a GET of `path` answers (with the token when `authorized`), its body read and dropped; a
   * network failure is thrown as it is (`doctor` tells its cause).
   */
  async status(path: string, options: { authorized: boolean }): Promise<number> {
    const response = await exchange(this.baseUrl + path, { method: 'GET', headers: options.authorized ? this.authHeaders : {} });
    response.resume();
    return response.statusCode ?? 0;
  }

  /**
   * Opens a Server-Sent Events stream (resolves once the server answered) and yields its messages: a GET, or a POST of
   * `body` as JSON (an ask answered as a stream).
   */
  async openStream(path: string, signal: AbortSignal, body?: unknown): Promise<AsyncIterable<SseMessage>> {
    const headers = { ...this.authHeaders, accept: 'text/event-stream' };
    const response = await this.send(
      path,
      body === undefined
        ? { method: 'GET', headers, signal }
        : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body), signal },
    );
    if (!isOk(response)) throw refusalOf(response, await textOf(response));
    return readMessages(response, signal, this.baseUrl);
  }

  /** ws:// (or wss://) URL of a path on the API. */
  webSocketUrl(path: string): string {
    return this.baseUrl.replace(/^http/, 'ws') + path;
  }

  private async send(path: string, init: ExchangeInit): Promise<http.IncomingMessage> {
    try {
      return await exchange(this.baseUrl + path, init);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new UnreachableError(this.baseUrl, error);
    }
  }
}

interface ExchangeInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | undefined;
  /** Aborting it destroys the request and its response (a stream being read fails with the signal's reason). */
  signal?: AbortSignal | undefined;
}

/** Sends one request; resolves with the response once its head arrived (its body still to be read). */
function exchange(url: string, init: ExchangeInit): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const { signal } = init;
    if (signal?.aborted) return reject(signal.reason);
    const target = new URL(url);
    const client = process.getBuiltinModule(target.protocol === 'https:' ? 'node:https' : 'node:http');
    // A POST without a body says so (as fetch did), rather than going out chunked.
    const length = init.body === undefined ? (init.method === 'POST' ? 0 : undefined) : Buffer.byteLength(init.body);
    const headers = length === undefined ? init.headers : { ...init.headers, 'content-length': String(length) };
    const request = client.request(target, { method: init.method, headers });
    const abort = () => request.destroy(signal?.reason);
    signal?.addEventListener('abort', abort, { once: true });
    request.once('error', (error) => {
      signal?.removeEventListener('abort', abort);
      reject(error);
    });
    request.once('response', (response) => {
      // Until the body is read, closed or aborted: an abort then fails the body being read.
      response.once('close', () => signal?.removeEventListener('abort', abort));
      resolve(response);
    });
    request.end(init.body);
  });
}

/** A 2xx status: what fetch's `ok` told. */
export const isSuccessStatus = (status: number) => status >= 200 && status < 300;
const isOk = (response: http.IncomingMessage) => isSuccessStatus(response.statusCode ?? 0);

async function textOf(response: http.IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}

/**
 * A response that is not a 2xx as an ApiError: a redirect names where it points (no request is sent again
 * elsewhere: MISSION_URL is to name the API itself), anything else is told by {@link apiErrorOf}.
 */
function refusalOf(response: http.IncomingMessage, body: string): ApiError {
  const status = response.statusCode ?? 0;
  const location = response.headers.location;
  if (status >= 300 && status < 400 && location)
    return new ApiError('http_error', `the API answered HTTP ${status}, moved to ${location}: set MISSION_URL to where it is`, status);
  return apiErrorOf(status, body);
}

/** The API's `{error:{code,message}}` body as an ApiError (a body in another shape: the HTTP status). */
export function apiErrorOf(status: number, body: string): ApiError {
  try {
    const { error } = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === 'string' && typeof error.message === 'string') return new ApiError(error.code, error.message, status);
  } catch {
    // not JSON: fall through
  }
  return new ApiError('http_error', `the API answered HTTP ${status}`, status);
}

/** The stream's messages until it ends, or `signal` aborts it; a connection cut meanwhile is an UnreachableError. */
async function* readMessages(response: http.IncomingMessage, signal: AbortSignal, baseUrl: string): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  response.setEncoding('utf8');
  try {
    for await (const chunk of response) yield* parser.push(chunk as string);
  } catch (error) {
    if (!signal.aborted) throw new UnreachableError(baseUrl, error);
  }
}
