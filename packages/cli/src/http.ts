import { ApiError, UnreachableError } from './errors.ts';
import { SseParser, type SseMessage } from './sse.ts';

/** The Mission REST API as the CLI uses it: JSON requests with the bearer token, SSE streams, the WebSocket URL. */
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
    const response = await this.send(path, {
      method,
      headers: { ...this.authHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw apiErrorOf(response.status, text);
    return JSON.parse(text) as T;
  }

  /** Opens a Server-Sent Events stream (resolves once the server answered) and yields its messages. */
  async openStream(path: string, signal: AbortSignal): Promise<AsyncIterable<SseMessage>> {
    const response = await this.send(path, { headers: { ...this.authHeaders, accept: 'text/event-stream' }, signal });
    if (!response.ok) throw apiErrorOf(response.status, await response.text());
    return readMessages(response.body!, signal);
  }

  /** ws:// (or wss://) URL of a path on the API. */
  webSocketUrl(path: string): string {
    return this.baseUrl.replace(/^http/, 'ws') + path;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.baseUrl + path, init);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new UnreachableError(this.baseUrl, error);
    }
  }
}

/** The API's `{error:{code,message}}` body as an ApiError (a body in another shape: the HTTP status). */
export function apiErrorOf(status: number, body: string): ApiError {
  try {
    const { error } = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === 'string' && typeof error.message === 'string') return new ApiError(error.code, error.message);
  } catch {
    // not JSON: fall through
  }
  return new ApiError('http_error', `the API answered HTTP ${status}`);
}

async function* readMessages(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) yield* parser.push(decoder.decode(chunk, { stream: true }));
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
